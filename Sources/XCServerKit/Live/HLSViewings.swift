import Logging
import Synchronization

/// The HLS viewings of this process: `HLSSessionTable` under a lock, each running viewing holding its
/// `SlotLease` (so the slot core counts it as in flight while the player fetches), and a sweep that ends
/// the idle ones and releases their leases (the slot then lingers `--live-linger` like any live viewing).
///
/// The sweep runs only while a viewing does: it starts with the first and stops when the last has ended,
/// so nothing is left running once the players stopped.
final class HLSViewings: Sendable {
    /// A running viewing: its slot, and the provider copy its playlists come from (the lease's relation).
    struct Viewing: Sendable {
        let lease: SlotLease
        let target: StreamTarget
        /// The public channel id, for log lines.
        let channelID: Int64
    }

    private struct State {
        var table: HLSSessionTable
        var running: [ViewerKey: Viewing] = [:]
        var sweeping = false
    }

    private let state: Mutex<State>
    private let sweepEvery: Duration
    private let logger: Logger
    /// The shared upstream answers of every viewing (segments, and playlists for a moment).
    let cache: HLSSegmentCache

    init(policy: HLSSessionTable.Policy = .init(), sweepEvery: Duration = .milliseconds(500), cache: HLSSegmentCache = HLSSegmentCache(),
         logger: Logger) {
        state = Mutex(State(table: HLSSessionTable(policy: policy)))
        self.sweepEvery = sweepEvery
        self.cache = cache
        self.logger = logger
    }

    /// The running viewing of `viewer`, touched (a request of it came in).
    func running(_ viewer: ViewerKey) -> Viewing? {
        state.withLock { state in
            guard state.table.touch(viewer, now: .now) else { return nil }
            return state.running[viewer]
        }
    }

    /// Starts `viewer`'s viewing on `lease`. When a concurrent request of the same viewer started it first,
    /// that one is returned and `lease` (which joined the same slot) is released.
    func start(_ viewer: ViewerKey, lease: SlotLease, target: StreamTarget, channelID: Int64) -> Viewing {
        let (viewing, startSweep) = state.withLock { state -> (Viewing, Bool) in
            if !state.table.open(viewer, now: .now), let existing = state.running[viewer] { return (existing, false) }
            let viewing = Viewing(lease: lease, target: target, channelID: channelID)
            state.running[viewer] = viewing
            let startSweep = !state.sweeping
            state.sweeping = true
            return (viewing, startSweep)
        }
        if viewing.lease !== lease {
            lease.release()
        } else {
            logger.info("[live] HLS viewing of channel \(channelID) started on \(target.candidate.accountName) (\(viewer))")
        }
        if startSweep { Task { await sweepUntilIdle() } }
        return viewing
    }

    func setTargetDuration(_ viewer: ViewerKey, seconds: Int) {
        state.withLock { $0.table.setTargetDuration(viewer, seconds: seconds) }
    }

    func targetDuration(_ viewer: ViewerKey) -> Duration {
        state.withLock { $0.table.targetDuration(viewer) }
    }

    /// A fresh or living token for `link`; nil when its viewing is no longer running.
    func token(for link: HLSLink) -> String? {
        state.withLock { $0.table.token(for: link, now: .now, make: HLSTokens<HLSLink>.randomToken) }
    }

    /// What `token` stands for and its running viewing (both touched), or nil: unknown, expired, or its
    /// viewing ended.
    func resolve(_ token: String) -> (HLSLink, Viewing)? {
        state.withLock { state in
            guard let link = state.table.resolve(token, now: .now), let viewing = state.running[link.viewer] else { return nil }
            return (link, viewing)
        }
    }

    /// Ends the viewing now (its upstream failed, or its device zapped away), releasing its slot.
    func end(_ viewer: ViewerKey, because reason: String) {
        let viewing = state.withLock { state in
            state.table.end(viewer)
            return state.running.removeValue(forKey: viewer)
        }
        guard let viewing else { return }
        viewing.lease.release()
        logger.info("[live] HLS viewing of channel \(viewing.channelID) ended: \(reason) (\(viewer))")
    }

    /// Ends the other HLS viewings of the device that asks for `viewer` (same login, same address): an HLS
    /// player never says it left a channel, so a device that opens another one on a full account has.
    /// Returns how many ended.
    func endOthers(of viewer: ViewerKey) -> Int {
        let others = state.withLock { $0.table.viewings(userID: viewer.userID, clientIP: viewer.clientIP) }.filter { $0 != viewer }
        for other in others { end(other, because: "its device opened another channel") }
        return others.count
    }

    /// The slot core zapped the channel's last slot (its device asked for another channel on a full
    /// account): the HLS viewings reading it end, with their links.
    func channelZapped(_ channel: ChannelEnds.Channel) {
        let viewers = state.withLock { state in
            state.running.filter { $0.key.contentID == channel.contentID && $0.value.target.candidate.relationID == channel.relationID }.map(\.key)
        }
        for viewer in viewers { end(viewer, because: "its device opened another channel") }
    }

    var count: Int { state.withLock { $0.running.count } }

    /// Ends idle viewings every `sweepEvery` until none runs.
    private func sweepUntilIdle() async {
        while true {
            try? await Task.sleep(for: sweepEvery)
            let (ended, done) = state.withLock { state -> ([(ViewerKey, Viewing, Duration)], Bool) in
                let now = ContinuousClock.now
                let limits = state.table.sessions.mapValues { state.table.idleLimit($0) }
                let ended = state.table.expire(now: now).compactMap { viewer in
                    state.running.removeValue(forKey: viewer).map { (viewer, $0, limits[viewer] ?? .zero) }
                }
                if state.running.isEmpty { state.sweeping = false }
                return (ended, state.running.isEmpty)
            }
            for (viewer, viewing, limit) in ended {
                viewing.lease.release()
                logger.info("[live] HLS viewing of channel \(viewing.channelID) ended: no request for \(limit) (\(viewer))")
            }
            if done { return }
        }
    }
}

extension AppServices {
    /// A slot for `request` (`slots.acquire`). When refused, the asking device's HLS viewings of anything
    /// else end and the request is tried once more: an HLS player never says it left a channel, so a device
    /// asking for another title has, and the slots of those viewings now linger, which the slot core gives
    /// up for the same device as it does for zapping (docs/live-streaming.md, "HLS").
    func acquireSlot(_ request: SlotRequest) async throws(SlotRefusal) -> SlotLease {
        do {
            return try await slots.acquire(request)
        } catch {
            guard error != .notMovable, hls.endOthers(of: request.key) > 0 else { throw error }
            return try await slots.acquire(request)
        }
    }
}
