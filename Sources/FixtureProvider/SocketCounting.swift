import DemoProvider
import Hummingbird
import NIOCore

/// A provider that counts open sockets, not streams (issue 10): every TCP connection that carried a stream
/// request of an account counts toward that account until it closes, whether a response is running on it or it
/// idles in a client's keep-alive pool. Some panels go on counting a closed socket for a while (tuliprox #866
/// reports 15-24 s); `countsClosedFor` plays that.
public struct FixtureSocketLimit: Sendable, Equatable {
    /// How a refused socket is told.
    public enum Refusal: Sendable, Equatable {
        /// Answer this status (458, 403, 429, 509) with `Connection: close`.
        case status(Int)
        /// Close the connection without an answer.
        case close
    }

    /// Sockets the account may hold at once.
    public var limit: Int
    public var refusal: Refusal
    /// How long a closed socket still counts.
    public var countsClosedFor: Duration

    public init(limit: Int = 1, refusal: Refusal = .status(458), countsClosedFor: Duration = .zero) {
        self.limit = limit
        self.refusal = refusal
        self.countsClosedFor = countsClosedFor
    }
}

/// The open sockets of one account. Always counted (so tests can read the most ever held); only refused past
/// `rule.limit` when a rule is set.
struct SocketBook {
    var rule: FixtureSocketLimit?
    /// Sockets open now, by channel identity.
    var open: Set<ObjectIdentifier> = []
    /// Closed sockets still counted (`countsClosedFor`).
    var closing = 0

    var count: Int { open.count + closing }
}

extension ProviderCore {
    enum SocketCount {
        case counted
        case refused(FixtureSocketLimit.Refusal)
    }

    /// Counts `channel` toward `username` (once per connection; it stops counting when it closes, or
    /// `countsClosedFor` later), or refuses it when the account is at its socket limit.
    func countSocket(username: String, channel: any Channel) -> SocketCount {
        let id = ObjectIdentifier(channel)
        let outcome: (SocketCount, isNew: Bool, lag: Duration) = state.withLockedValue { state in
            guard var entry = state.accounts[username] else { return (.counted, false, .zero) }
            defer { state.accounts[username] = entry }
            if entry.sockets.open.contains(id) { return (.counted, false, .zero) }
            if let rule = entry.sockets.rule, entry.sockets.count >= rule.limit {
                entry.stats.refusedSockets += 1
                return (.refused(rule.refusal), false, .zero)
            }
            entry.sockets.open.insert(id)
            entry.stats.openSockets = entry.sockets.count
            entry.stats.maxOpenSockets = max(entry.stats.maxOpenSockets, entry.stats.openSockets)
            return (.counted, true, entry.sockets.rule?.countsClosedFor ?? .zero)
        }
        if outcome.isNew {
            channel.closeFuture.whenComplete { [self] _ in socketClosed(username: username, id: id, lag: outcome.lag) }
        }
        return outcome.0
    }

    private func socketClosed(username: String, id: ObjectIdentifier, lag: Duration) {
        state.withLockedValue { state in
            guard state.accounts[username]?.sockets.open.remove(id) != nil else { return }
            if lag > .zero { state.accounts[username]!.sockets.closing += 1 }
            state.accounts[username]!.stats.openSockets = state.accounts[username]!.sockets.count
        }
        guard lag > .zero else { return }
        Task { [self] in
            try? await Task.sleep(for: lag)
            state.withLockedValue { state in
                guard state.accounts[username] != nil else { return }
                state.accounts[username]!.sockets.closing -= 1
                state.accounts[username]!.stats.openSockets = state.accounts[username]!.sockets.count
            }
        }
    }

    func setSocketLimit(_ rule: FixtureSocketLimit?, for username: String) {
        state.withLockedValue { $0.accounts[username]?.sockets.rule = rule }
    }

    /// The answer to a refused socket; nil means "close it without one".
    static func socketRefusal(_ refusal: FixtureSocketLimit.Refusal, channel: any Channel) -> Response? {
        switch refusal {
        case .status(let code):
            var response = ProviderResponder.text(ProviderResponder.status(code), "max connections (sockets)")
            response.headers[.connection] = "close"
            return response
        case .close:
            channel.close(promise: nil)
            return nil
        }
    }
}

extension FixtureProvider {
    /// Makes `username` a provider that counts sockets and refuses past `rule.limit` (nil: counts, never refuses).
    public func limitSockets(_ rule: FixtureSocketLimit?, for username: String) {
        core.setSocketLimit(rule, for: username)
    }
}
