import Foundation
import Synchronization

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

    /// A live channel's upstream was lost after its first byte: moves every slot sharing it (content
    /// `contentID` on `from`) to the next relation with room and returns it (docs/live-streaming.md,
    /// "Reconnect and failover"). Throws when no other relation can take the channel now.
    func moveChannel(contentID: Int64, from: SlotCandidate, reason: FailoverReason) async throws(SlotRefusal) -> SlotCandidate
    /// Told the channel upstream (content id, relation id) of every live slot that ended (zapped, or its
    /// linger over), so whoever holds that connection closes it if no viewer is left on it.
    var channelEnds: ChannelEnds { get }
}

/// Where the slot core tells the live hub which channel upstreams lost a slot (see `SlotCore.channelEnds`).
/// The handler runs on the deciding thread after the slot core's lock is released, before `acquire`
/// returns: a zapped channel's connection is closing while the new viewing waits out the settle time.
public final class ChannelEnds: Sendable {
    public struct Channel: Hashable, Sendable {
        public var contentID: Int64
        public var relationID: Int64
        /// Watched as HLS (`ContentKind.hls`): its viewings are `HLSViewings`', not the hub's.
        public var hls = false
    }

    private let handler = Mutex<(@Sendable (Channel, _ zapped: Bool) -> Void)?>(nil)

    public init() {}

    /// Sets the one listener (the live hub). `zapped`: the slot was ended for another viewing of its
    /// device, which may still have a request reading the channel; else its linger ended.
    public func listen(_ body: @escaping @Sendable (Channel, _ zapped: Bool) -> Void) {
        handler.withLock { $0 = body }
    }

    func notify(_ channel: Channel, zapped: Bool) {
        handler.withLock { $0 }?(channel, zapped)
    }
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
