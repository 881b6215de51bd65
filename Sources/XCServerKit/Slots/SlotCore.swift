import Foundation

/// The whole contract between the server and slot bookkeeping; everything outside `Slots/` sees only this.
///
/// Deliberately narrow (acquire, look, tidy) so that a shared implementation on PostgreSQL row leases can replace
/// the in-process one when several xcserver instances share provider accounts. Ending is not here: it belongs to
/// `SlotLease`, so that it is structural (a `defer`, and `deinit` as backstop) rather than a call to remember.
/// The rules every implementation keeps are in docs/slots.md.
public protocol SlotCore: Sendable {
    /// A lease on the viewing's slot (reused or new), or why there is none. May wait a moment before returning
    /// (see `SlotLease.settleDelay`).
    func acquire(_ request: SlotRequest) async throws(SlotRefusal) -> SlotLease
    func snapshot() async -> SlotSnapshot
    /// Live slot count of one user (`user_info.active_cons`). Has a default built on `snapshot()`.
    func userLoad(_ userID: Int64) async -> Int
    /// Ends the slots whose linger is over, so their end is logged near the moment it happens. Decisions never
    /// depend on it: an expired slot already counts as ended. Called about once a second by `SlotSweeper`.
    func sweep() async
    /// Notified after every decision that changed a slot (created, ended, moved, lingering...), so the web
    /// page's event stream pushes the change. Nil when the core cannot tell; listeners then refresh on a timer.
    var changes: ChangeSignal? { get }
}

extension SlotCore {
    public var changes: ChangeSignal? { nil }

    public func userLoad(_ userID: Int64) async -> Int {
        await snapshot().users.first { $0.id == userID }?.load ?? 0
    }
}

/// Where the slot core reads time. Injected so tests move time by hand instead of sleeping, which makes the
/// linger and back-off rules testable to the exact instant. The state machine itself never reads it: the shell
/// passes the instant in.
public protocol SlotClock: Sendable {
    func now() -> ContinuousClock.Instant
}

public struct SystemSlotClock: SlotClock {
    public init() {}
    public func now() -> ContinuousClock.Instant { .now }
}
