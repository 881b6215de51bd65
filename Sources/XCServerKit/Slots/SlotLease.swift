import Foundation
import Synchronization

/// What a `SlotLease` needs from the core that issued it. Internal so a second implementation (PostgreSQL row
/// leases) can back the same lease type without widening the public `SlotCore` protocol.
protocol SlotLeaseBackend: AnyObject, Sendable {
    func leaseReleased(slotID: Int64)
    func leaseHeadDelivered(slotID: Int64, candidate: SlotCandidate) -> Bool
    func leaseAddBytes(slotID: Int64, _ n: Int)
    func leaseFailover(slotID: Int64, from: SlotCandidate, reason: FailoverReason) throws(SlotRefusal) -> SlotCandidate
}

/// One request's membership in a slot (not the slot itself: a TiviMate viewing holds three of these at once on
/// one slot).
///
/// The request's end must always reach the core, whatever way the request ends, or the account looks full
/// forever ("ghost connections"). Hence `release()` is synchronous and idempotent (so it fits in a `defer` next to
/// the body writer) and `deinit` releases too: if an HTTP framework drops a response-body closure without running
/// it, the last reference to the lease goes with it and the slot still ends.
public final class SlotLease: Sendable {
    public let slotID: Int64
    /// True when this request joined an existing slot (in flight or lingering) instead of creating one.
    public let reused: Bool
    public let key: ViewerKey
    public let isHead: Bool
    /// Set when this request's account was freed by zapping a viewing that ended moments ago: the time
    /// left until that viewing's provider connection has surely closed (see `SlotStateMachine.Policy.settle`).
    public let settleDelay: Duration

    private let backend: any SlotLeaseBackend
    private let state: Mutex<LeaseState>

    private struct LeaseState {
        var candidate: SlotCandidate
        var released = false
    }

    init(slotID: Int64, candidate: SlotCandidate, reused: Bool, key: ViewerKey, isHead: Bool, settleDelay: Duration = .zero,
         backend: any SlotLeaseBackend) {
        self.slotID = slotID
        self.settleDelay = settleDelay
        self.reused = reused
        self.key = key
        self.isHead = isHead
        self.backend = backend
        self.state = Mutex(LeaseState(candidate: candidate))
    }

    deinit {
        release()
    }

    /// The relation this request must fetch from. Changes only through `failover`.
    public var candidate: SlotCandidate { state.withLock { $0.candidate } }

    public var isReleased: Bool { state.withLock { $0.released } }

    /// Call just before sending the response head (GET or HEAD) to the client; from then on the viewing is pinned
    /// and `failover` refuses.
    ///
    /// Returns false when the head must not be sent: the lease is released, or a sibling request of the same
    /// viewing already failed over and moved the slot to another relation while this request was still talking to
    /// the old one. Sending this head would then pin the player to a file the rest of the viewing will not come
    /// from. On false, call `failover` (it hands back the slot's new relation) or answer with an error.
    @discardableResult
    public func headDelivered() -> Bool {
        state.withLock { s in
            guard !s.released else { return false }
            return backend.leaseHeadDelivered(slotID: slotID, candidate: s.candidate)
        }
    }

    /// Body bytes sent to the client, for `/api/connections` and idle time.
    public func addBytes(_ n: Int) {
        guard n > 0 else { return }
        state.withLock { s in
            guard !s.released else { return }
            backend.leaseAddBytes(slotID: slotID, n)
        }
    }

    /// The upstream failed before any head of this viewing reached the client: move the slot to the next
    /// candidate with room and return it (the caller retries there). Provider refusals put the failed account in a
    /// back-off so the next viewings skip it. Throws `.notMovable` once any request of the viewing delivered a
    /// head (or after `release`), `.noCapacity`/`.noCandidates` when there is nowhere to go (the slot then stays
    /// where it was).
    public func failover(reason: FailoverReason) throws(SlotRefusal) -> SlotCandidate {
        try state.withLock { (s: inout LeaseState) throws(SlotRefusal) -> SlotCandidate in
            guard !s.released else { throw SlotRefusal.notMovable }
            let next = try backend.leaseFailover(slotID: slotID, from: s.candidate, reason: reason)
            s.candidate = next
            return next
        }
    }

    /// Ends this request's membership. Idempotent and synchronous so it can sit in a `defer` and in `deinit`.
    public func release() {
        let first = state.withLock { s in
            defer { s.released = true }
            return !s.released
        }
        if first { backend.leaseReleased(slotID: slotID) }
    }
}
