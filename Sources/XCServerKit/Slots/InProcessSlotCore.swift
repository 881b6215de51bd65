import Foundation
import Logging
import Synchronization

/// The default `SlotCore`: every slot of this process in one `SlotStateMachine` under one `Mutex`.
///
/// This type is the shell only: it reads the clock, runs one state-machine step under the lock, and logs the
/// step's events after unlocking. The rules themselves are in `SlotStateMachine` and docs/slots.md.
///
/// Why these choices:
/// - One lock, no actor: a proxied stream reports bytes per chunk, and an actor hop per chunk would cost more than
///   the bookkeeping. Every critical section is a few dictionary operations plus a scan of one account's (or one
///   user's) slot list, which is bounded by its `max_connections` plus expired slots not yet removed.
/// - Nothing is persisted: after a restart every account is empty, which is the truth.
public final class InProcessSlotCore: SlotCore, SlotLeaseBackend {
    public var grace: Duration { policy.grace }
    public var settle: Duration { policy.settle }
    public var backoff: Duration { policy.backoff }

    private let policy: SlotStateMachine.Policy
    private let clock: any SlotClock
    private let log: SlotEventLog
    private let verifiesInvariants: Bool
    private let state: Mutex<Locked>
    /// Notified after each step that produced an event (see `step`).
    public let changes: ChangeSignal? = ChangeSignal()
    public let channelEnds = ChannelEnds()

    private struct Locked {
        var machine: SlotStateMachine
        var violations: [String] = []
    }

    /// `verifiesInvariants` re-checks every capacity and consistency invariant inside the lock after each
    /// mutation and records violations (see `invariantViolations()`); tests use it to check "at every instant".
    public init(
        grace: Duration = .seconds(10),
        liveLinger: Duration = .seconds(3),
        settle: Duration = .milliseconds(300),
        backoff: Duration = .seconds(30),
        clock: any SlotClock = SystemSlotClock(),
        logger: Logger = Logger(label: "xcserver.slots"),
        verifiesInvariants: Bool = false
    ) {
        policy = SlotStateMachine.Policy(grace: grace, settle: settle, backoff: backoff, liveLinger: liveLinger)
        self.clock = clock
        log = SlotEventLog(logger: logger, backoff: backoff)
        self.verifiesInvariants = verifiesInvariants
        state = Mutex(Locked(machine: SlotStateMachine(policy: policy)))
    }

    // MARK: SlotCore

    public func acquire(_ request: SlotRequest) async throws(SlotRefusal) -> SlotLease {
        let lease = try acquireNow(request)
        if lease.settleDelay > .zero { try? await Task.sleep(for: lease.settleDelay) }
        return lease
    }

    /// `acquire` without the async entry (and without waiting out `settleDelay`), for callers already on a
    /// synchronous path and the benchmark.
    public func acquireNow(_ request: SlotRequest) throws(SlotRefusal) -> SlotLease {
        let result = step { $0.admit(request, now: $1) }
        let grant = try result.get()
        return SlotLease(
            slotID: grant.slotID, candidate: grant.candidate, reused: grant.reused, key: request.key,
            isHead: request.isHead, settleDelay: grant.settleDelay, backend: self)
    }

    public func snapshot() async -> SlotSnapshot {
        snapshotNow()
    }

    public func snapshotNow() -> SlotSnapshot {
        step { m, now in
            let events = m.sweep(now: now)
            return (m.snapshot(now: now), events)
        }
    }

    public func userLoad(_ userID: Int64) async -> Int {
        step { $0.userLoad(userID, now: $1) }
    }

    public func sweep() async {
        sweepNow()
    }

    /// `sweep` on the caller's thread. Returns how many slots ended.
    @discardableResult
    public func sweepNow() -> Int {
        step { m, now in
            let events = m.sweep(now: now)
            return (events.filter(\.isEnd).count, events)
        }
    }

    public func moveChannel(contentID: Int64, from: SlotCandidate, reason: FailoverReason) async throws(SlotRefusal) -> SlotCandidate {
        try step { $0.moveChannel(.channel(.live, contentID: contentID, relationID: from.relationID), from: from, reason: reason, now: $1) }.get()
    }

    // MARK: SlotLeaseBackend

    func leaseReleased(slotID: Int64) {
        step { m, now in ((), m.release(slotID, now: now)) }
    }

    func leaseHeadDelivered(slotID: Int64, candidate: SlotCandidate) -> Bool {
        state.withLock { $0.machine.deliverHead(slotID, candidate: candidate, now: clock.now()) }
    }

    func leaseAddBytes(slotID: Int64, _ n: Int) {
        state.withLock { $0.machine.addBytes(slotID, n, now: clock.now()) }
    }

    func leaseFailover(slotID: Int64, from: SlotCandidate, reason: FailoverReason) throws(SlotRefusal) -> SlotCandidate {
        try step { $0.relocate(slotID, from: from, reason: reason, now: $1) }.get()
    }

    // MARK: Test support

    /// Violations recorded by a core made with `verifiesInvariants: true`, plus a check of the current state.
    func invariantViolations() -> [String] {
        state.withLock { $0.violations + $0.machine.invariantViolations(now: clock.now()) }
    }

    // MARK: The shell

    /// Runs one state-machine step under the lock at the clock's current instant (checking the invariants after
    /// it when asked to), then logs its events with the lock released.
    private func step<Value: Sendable>(_ body: (inout SlotStateMachine, ContinuousClock.Instant) -> (Value, [SlotEvent])) -> Value {
        let (value, events, unshared) = state.withLock { locked in
            let now = clock.now()
            var (value, events) = body(&locked.machine, now)
            if verifiesInvariants {
                let found = locked.machine.invariantViolations(now: now)
                locked.violations += found
                events += found.map(SlotEvent.violation)
            }
            let unshared = events.contains(where: \.isEnd) ? locked.machine.unsharedChannelEnds(in: events, now: now) : []
            return (value, events, unshared)
        }
        log.log(events)
        if !events.isEmpty { changes?.notify() }
        for (channel, zapped) in unshared { channelEnds.notify(channel, zapped: zapped) }
        return value
    }
}
