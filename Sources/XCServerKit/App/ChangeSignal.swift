import Synchronization

/// Tells listeners that something changed, without saying what: each listener re-reads the state it
/// shows. The web page's event stream (`GET /api/events`) listens to the slot core and the sync jobs
/// through this, so a viewing that starts or ends reaches the dashboard at once instead of at the next
/// poll. Notifying is a few dictionary reads under a lock; it never waits for a listener.
public final class ChangeSignal: Sendable {
    private struct Listeners {
        var next: UInt64 = 0
        var all: [UInt64: AsyncStream<Void>.Continuation] = [:]
    }

    private let listeners = Mutex(Listeners())

    public init() {}

    /// Wakes every listener; a listener that has not caught up yet is woken once for all changes since.
    public func notify() {
        listeners.withLock { for continuation in $0.all.values { continuation.yield() } }
    }

    /// Adds `continuation` (a stream buffering the newest element only) until `remove` with the id returned.
    func add(_ continuation: AsyncStream<Void>.Continuation) -> UInt64 {
        listeners.withLock { state in
            state.next += 1
            state.all[state.next] = continuation
            return state.next
        }
    }

    func remove(_ id: UInt64) {
        _ = listeners.withLock { $0.all.removeValue(forKey: id) }
    }

    var listenerCount: Int { listeners.withLock { $0.all.count } }
}
