import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every live channel being watched in this process: one `LiveFanout` and one reader per channel upstream,
/// however many viewers. docs/live-streaming.md.
///
/// A channel upstream is keyed by (channel entry, relation) like its slot's upstream in the slot core, so
/// the one connection the account counts is the one connection opened. It is opened by the first viewer,
/// shared by every later one, and closed `linger` after the last viewer left (a player's reconnect within
/// it finds the channel still running), or at once by `slotEnded` when the slot core zapped or ended the
/// channel's last slot. The hub's linger is the slot's minus the settle time, so the connection is closed
/// before the slot core counts the account free again (docs/live-streaming.md, "Lifetime").
final class LiveHub: Sendable {
    typealias Channel = ChannelEnds.Channel

    /// One viewer attached to a channel: read with `fanout.next(viewer, …)`, end with `LiveHub.detach`.
    struct Attachment: Sendable {
        var channel: Channel
        var fanout: LiveFanout
        var viewer: LiveRing.ViewerID
    }

    /// Who a viewer is, for `/api/connections`.
    struct Watcher: Sendable, Equatable {
        var login: String
        var address: String
    }

    private struct Running {
        var fanout: LiveFanout
        var reader: Task<Void, Never>
        var viewers: [LiveRing.ViewerID: Watcher] = [:]
        /// Upstream connections lost and reopened so far.
        var reconnects = 0
        /// The channel's id as clients know it.
        var publicID: Int64 = 0
        /// Bumped on every attach and detach, so a linger timer knows whether it is still the last word.
        var generation = 0
    }

    let ringPolicy: LiveRing.Policy
    let linger: Duration
    private let running = NIOLockedValueBox<[Channel: Running]>([:])
    /// Where a channel's reader moved (`move`): a viewer admitted on the old relation just before the
    /// move joins the running upstream instead of opening a second one there.
    private let moved = NIOLockedValueBox<[Channel: Channel]>([:])

    init(ringPolicy: LiveRing.Policy, linger: Duration) {
        self.ringPolicy = ringPolicy
        self.linger = linger
    }

    /// Attaches a viewer to `channel`, starting its upstream with `start` when none runs. `start` is the
    /// reader's whole life (open, read, reconnect); it must feed and finally finish the fan-out it is given.
    func attach(_ channel: Channel, publicID: Int64 = 0, watcher: Watcher = Watcher(login: "", address: ""),
                start: @escaping @Sendable (LiveFanout) async -> Void) -> Attachment {
        let channel = moved.withLockedValue { $0[channel] } ?? channel
        return running.withLockedValue { running in
            var entry = running[channel] ?? {
                let fanout = LiveFanout(policy: ringPolicy)
                return Running(fanout: fanout, reader: Task {
                    await start(fanout)
                    self.readerEnded(channel, fanout)
                })
            }()
            let viewer = entry.fanout.join()
            entry.viewers[viewer] = watcher
            entry.publicID = publicID
            entry.generation += 1
            running[channel] = entry
            return Attachment(channel: channel, fanout: entry.fanout, viewer: viewer)
        }
    }

    /// The viewer left. The last one leaving starts the linger; the channel closes when it ends unseen.
    func detach(_ attachment: Attachment) {
        attachment.fanout.leave(attachment.viewer)
        let generation: (Channel, Int)? = running.withLockedValue { running in
            guard let key = running.first(where: { $0.value.fanout === attachment.fanout })?.key,
                  var entry = running[key] else { return nil }
            entry.viewers[attachment.viewer] = nil
            entry.generation += 1
            running[key] = entry
            return entry.viewers.isEmpty ? (key, entry.generation) : nil
        }
        guard let (channel, generation) = generation else { return }
        let linger = linger
        Task {
            try? await Task.sleep(for: linger)
            self.closeIfIdle(channel, generation: generation)
        }
    }

    /// Ends the channel's upstream now (the slot core zapped or ended its slot): its reader is cancelled,
    /// which closes the provider socket, and its viewers end.
    func close(_ channel: Channel) {
        let entry = running.withLockedValue { $0.removeValue(forKey: channel) }
        entry?.reader.cancel()
        forgetMoves(to: [channel])
    }

    /// The slot core ended a slot of `channel` (zapped, or its linger over): with no viewer left on it, the
    /// connection closes now, so the account really has the room the slot core now counts.
    func slotEnded(_ channel: Channel) {
        let entry: Running? = running.withLockedValue { running in
            guard let entry = running[channel], entry.viewers.isEmpty else { return nil }
            running[channel] = nil
            return entry
        }
        entry?.reader.cancel()
        if entry != nil { forgetMoves(to: [channel]) }
    }

    /// The channel's reader moved to another relation (its slots moved with it): later viewers admitted on
    /// the new relation join this upstream.
    func move(_ from: Channel, to: Channel) {
        running.withLockedValue { running in
            guard from != to, let entry = running.removeValue(forKey: from) else { return }
            running[to] = entry
        }
        moved.withLockedValue { moved in
            for (old, new) in moved where new == from { moved[old] = to }
            moved[from] = to
        }
    }

    /// The channel's upstream was lost and is being reopened.
    func noteReconnect(_ channel: Channel) {
        running.withLockedValue { running in
            let key = moved.withLockedValue { $0[channel] } ?? channel
            running[key]?.reconnects += 1
        }
    }

    /// A reader that gave up leaves no dead channel behind: the next viewer starts a new upstream.
    private func readerEnded(_ channel: Channel, _ fanout: LiveFanout) {
        let ended = running.withLockedValue { running -> [Channel] in
            let keys = running.filter { $0.value.fanout === fanout }.map(\.key)
            for key in keys { running[key] = nil }
            return keys + [channel]
        }
        forgetMoves(to: ended)
    }

    private func forgetMoves(to channels: [Channel]) {
        moved.withLockedValue { moved in
            for (old, new) in moved where channels.contains(new) { moved[old] = nil }
        }
    }

    private func closeIfIdle(_ channel: Channel, generation: Int) {
        let entry: Running? = running.withLockedValue { running in
            guard let entry = running[channel], entry.generation == generation, entry.viewers.isEmpty else { return nil }
            running[channel] = nil
            return entry
        }
        entry?.reader.cancel()
    }

    /// One watched channel as `/api/connections` (in its snake_case keys) and `/metrics` show it.
    struct ChannelState: Sendable, Encodable {
        /// The channel's id as clients know it.
        var id: Int64
        var relationID: Int64
        var ringFillBytes: Int
        var reconnects: Int
        /// Every viewer reading from the channel's one upstream, and how far behind the newest byte.
        var viewers: [Viewer]

        struct Viewer: Sendable, Encodable {
            var login: String
            var address: String
            var bytes: Int64
            var behindBytes: Int64
        }
    }

    /// Channels with an upstream now, with their viewers.
    var channels: [Channel: ChannelState] {
        running.withLockedValue { running in
            running.reduce(into: [:]) { states, item in
                let snapshot = item.value.fanout.snapshot
                let viewers = item.value.viewers.sorted { $0.key < $1.key }.map { id, watcher in
                    ChannelState.Viewer(login: watcher.login, address: watcher.address, bytes: snapshot.viewers[id]?.read ?? 0,
                                        behindBytes: snapshot.viewers[id]?.behind ?? 0)
                }
                states[item.key] = ChannelState(id: item.value.publicID, relationID: item.key.relationID, ringFillBytes: snapshot.fill,
                                                reconnects: item.value.reconnects, viewers: viewers)
            }
        }
    }
}
