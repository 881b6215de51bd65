import Synchronization

/// Tells listeners that something changed, without saying what: each listener re-reads the state it
/// shows. The web page's event stream (`GET /api/events`) listens to the slot core and the sync jobs
/// through this, so a viewing that starts or ends reaches the dashboard at once instead of at the next
/// poll. Notifying is a few dictionary reads under a lock; it never waits for a listener, and with no
/// listener (no page open) it is one atomic load: the slot core notifies on every acquire and release.
public final class ChangeSignal: Sendable {
    private struct Listeners {
        var next: UInt64 = 0
        var all: [UInt64: AsyncStream<Void>.Continuation] = [:]
    }

    private let listeners = Mutex(Listeners())
    /// `listeners.all.count`, readable without the lock.
    private let count = Atomic<Int>(0)

    public init() {}

    /// Wakes every listener; a listener that has not caught up yet is woken once for all changes since.
    public func notify() {
        guard count.load(ordering: .relaxed) > 0 else { return }
        listeners.withLock { for continuation in $0.all.values { continuation.yield() } }
    }

    /// Adds `continuation` (a stream buffering the newest element only) until `remove` with the id returned.
    func add(_ continuation: AsyncStream<Void>.Continuation) -> UInt64 {
        listeners.withLock { state in
            state.next += 1
            state.all[state.next] = continuation
            count.store(state.all.count, ordering: .relaxed)
            return state.next
        }
    }

    func remove(_ id: UInt64) {
        listeners.withLock { state in
            state.all.removeValue(forKey: id)
            count.store(state.all.count, ordering: .relaxed)
        }
    }

    var listenerCount: Int { listeners.withLock { $0.all.count } }
}
