import Foundation
import Synchronization

/// The web page's sign-ins, kept in memory only: a restart signs everyone out, which costs a household
/// admin one more token paste and means no session secret is ever written to disk.
///
/// The rules (idle expiry, a bound on how many sessions exist) are in `AdminSessionTable`, a value
/// tested without clocks or locks; this class adds the lock, the clock and the random ids.
final class AdminSessions: Sendable {
    private let table: Mutex<AdminSessionTable>

    init(idleLimit: Duration = AdminSessionTable.defaultIdleLimit, capacity: Int = AdminSessionTable.defaultCapacity) {
        table = Mutex(AdminSessionTable(idleLimit: idleLimit, capacity: capacity))
    }

    /// A new session: its id (the cookie's value) and its CSRF token (what state-changing calls echo).
    func open() -> AdminSessionTable.Session {
        let session = AdminSessionTable.Session(id: Self.randomToken(), csrf: Self.randomToken())
        table.withLock { $0.open(session, now: .now) }
        return session
    }

    /// The session with this id, if it exists and was used recently; using it keeps it alive.
    func session(_ id: String) -> AdminSessionTable.Session? {
        table.withLock { $0.touch(id, now: .now) }
    }

    func close(_ id: String) {
        table.withLock { $0.close(id) }
    }

    /// 32 random bytes as hex: unguessable, and safe in a cookie and a header without escaping.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Which sessions exist and when each was last used. Pure: every call is given the instant.
struct AdminSessionTable: Sendable {
    struct Session: Sendable, Equatable {
        var id: String
        var csrf: String
    }

    /// A page left open on a phone stays signed in through an evening; one forgotten for a day does not.
    static let defaultIdleLimit: Duration = .seconds(12 * 3600)
    /// Enough for every device of a household; signing in again and again cannot grow memory without end.
    static let defaultCapacity = 64

    let idleLimit: Duration
    let capacity: Int
    private var sessions: [String: (session: Session, lastUsed: ContinuousClock.Instant)] = [:]

    init(idleLimit: Duration, capacity: Int) {
        self.idleLimit = idleLimit
        self.capacity = max(1, capacity)
    }

    var count: Int { sessions.count }

    /// Adds `session`, first dropping expired ones, then the least recently used while full.
    mutating func open(_ session: Session, now: ContinuousClock.Instant) {
        sessions = sessions.filter { !isExpired($0.value.lastUsed, now) }
        while sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
            sessions[oldest] = nil
        }
        sessions[session.id] = (session, now)
    }

    /// The live session with this id (its idle time restarts), else nil (an expired one is forgotten).
    mutating func touch(_ id: String, now: ContinuousClock.Instant) -> Session? {
        guard let entry = sessions[id] else { return nil }
        guard !isExpired(entry.lastUsed, now) else {
            sessions[id] = nil
            return nil
        }
        sessions[id] = (entry.session, now)
        return entry.session
    }

    mutating func close(_ id: String) {
        sessions[id] = nil
    }

    private func isExpired(_ lastUsed: ContinuousClock.Instant, _ now: ContinuousClock.Instant) -> Bool {
        lastUsed.duration(to: now) > idleLimit
    }
}
