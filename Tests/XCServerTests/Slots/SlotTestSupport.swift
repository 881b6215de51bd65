import Foundation
import Logging
import Synchronization
import Testing

@testable import XCServerKit

/// Time that moves only when a test says so, so linger and back-off are tested to the instant without sleeping.
final class ManualClock: SlotClock {
    private let current: Mutex<ContinuousClock.Instant>

    init(start: ContinuousClock.Instant = .now) {
        current = Mutex(start)
    }

    func now() -> ContinuousClock.Instant { current.withLock { $0 } }

    func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}

/// Keeps every log line so tests can check what an operator would read.
final class SlotLogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    func lines(containing text: String) -> [String] { all.filter { $0.contains(text) } }

    var logger: Logger {
        var logger = Logger(label: "xcserver.slots") { _ in CaptureHandler(capture: self) }
        logger.logLevel = .debug
        return logger
    }

    private struct CaptureHandler: LogHandler {
        let capture: SlotLogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append("\(event.level) \(event.message)")
        }
    }
}

/// A core on a manual clock that checks every invariant inside its lock after each mutation.
struct SlotHarness: Sendable {
    let clock = ManualClock()
    let logs = SlotLogCapture()
    let core: InProcessSlotCore

    init(grace: Duration = .seconds(10), backoff: Duration = .seconds(30), quiet: Bool = false) {
        var logger = logs.logger
        if quiet { logger = Logger(label: "xcserver.slots") { _ in SwiftLogNoOpLogHandler() } }
        core = InProcessSlotCore(
            grace: grace, settle: .zero, backoff: backoff, clock: clock, logger: logger, verifiesInvariants: true)
    }

    func acquire(
        user: Int64 = 1, ip: String = "10.0.0.1", kind: ContentKind = .movie, content: Int64,
        userMax: Int = 1, candidates: [SlotCandidate], head: Bool = false
    ) throws(SlotRefusal) -> SlotLease {
        try core.acquireNow(
            SlotRequest(
                key: ViewerKey(userID: user, clientIP: ip, kind: kind, contentID: content),
                userMaxConnections: userMax, candidates: candidates, isHead: head))
    }

    /// The refusal `acquire` throws, or nil (and the lease released) if it admitted.
    func refusal(
        user: Int64 = 1, ip: String = "10.0.0.1", kind: ContentKind = .movie, content: Int64,
        userMax: Int = 1, candidates: [SlotCandidate]
    ) -> SlotRefusal? {
        do {
            let lease = try acquire(
                user: user, ip: ip, kind: kind, content: content, userMax: userMax, candidates: candidates)
            lease.release()
            return nil
        } catch {
            return error
        }
    }

    func accountLoad(_ id: Int64) -> Int { core.snapshotNow().account(id)?.load ?? 0 }
    func userLoad(_ id: Int64) -> Int { core.snapshotNow().user(id)?.load ?? 0 }
    var violations: [String] { core.invariantViolations() }
}

func slotAccount(
    _ id: Int64, _ name: String, priority: Int = 0, max: Int = 1, enabled: Bool = true, relation: Int64? = nil
) -> SlotCandidate {
    SlotCandidate(
        accountID: id, accountName: name, relationID: relation ?? id * 100, priority: priority, maxConnections: max,
        enabled: enabled)
}
