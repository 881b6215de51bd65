import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every live channel being watched in this process: one `LiveFanout` and one reader per channel upstream,
/// however many viewers. docs/live-streaming.md.
///
/// A channel upstream is keyed by (channel entry, relation) like its slot's upstream in the slot core, so
/// the one connection the account counts is the one connection opened. It is opened by the first viewer,
/// shared by every later one, and closed `linger` after the last viewer left (a player's reconnect within
/// it finds the channel still running), or at once by `close` when the slot core zapped the channel.
final class LiveHub: Sendable {
    struct Channel: Hashable, Sendable {
        var contentID: Int64
        var relationID: Int64
    }

    /// One viewer attached to a channel: read with `fanout.next(viewer, …)`, end with `LiveHub.detach`.
    struct Attachment: Sendable {
        var channel: Channel
        var fanout: LiveFanout
        var viewer: LiveRing.ViewerID
    }

    private struct Running {
        var fanout: LiveFanout
        var reader: Task<Void, Never>
        var viewers: Set<LiveRing.ViewerID> = []
        /// Bumped on every attach and detach, so a linger timer knows whether it is still the last word.
        var generation = 0
    }

    let ringPolicy: LiveRing.Policy
    let linger: Duration
    private let running = NIOLockedValueBox<[Channel: Running]>([:])

    init(ringPolicy: LiveRing.Policy, linger: Duration) {
        self.ringPolicy = ringPolicy
        self.linger = linger
    }

    /// Attaches a viewer to `channel`, starting its upstream with `start` when none runs. `start` is the
    /// reader's whole life (open, read, reconnect); it must feed and finally finish the fan-out it is given.
    func attach(_ channel: Channel, start: @escaping @Sendable (LiveFanout) async -> Void) -> Attachment {
        running.withLockedValue { running in
            var entry = running[channel] ?? {
                let fanout = LiveFanout(policy: ringPolicy)
                return Running(fanout: fanout, reader: Task {
                    await start(fanout)
                    self.readerEnded(channel, fanout)
                })
            }()
            let viewer = entry.fanout.join()
            entry.viewers.insert(viewer)
            entry.generation += 1
            running[channel] = entry
            return Attachment(channel: channel, fanout: entry.fanout, viewer: viewer)
        }
    }

    /// The viewer left. The last one leaving starts the linger; the channel closes when it ends unseen.
    func detach(_ attachment: Attachment) {
        attachment.fanout.leave(attachment.viewer)
        let generation: Int? = running.withLockedValue { running in
            guard var entry = running[attachment.channel], entry.fanout === attachment.fanout else { return nil }
            entry.viewers.remove(attachment.viewer)
            entry.generation += 1
            running[attachment.channel] = entry
            return entry.viewers.isEmpty ? entry.generation : nil
        }
        guard let generation else { return }
        let linger = linger
        Task {
            try? await Task.sleep(for: linger)
            self.closeIfIdle(attachment.channel, generation: generation)
        }
    }

    /// Ends the channel's upstream now (the slot core zapped or ended its slot): its reader is cancelled,
    /// which closes the provider socket, and its viewers end.
    func close(_ channel: Channel) {
        let entry = running.withLockedValue { $0.removeValue(forKey: channel) }
        entry?.reader.cancel()
    }

    /// A reader that gave up leaves no dead channel behind: the next viewer starts a new upstream.
    private func readerEnded(_ channel: Channel, _ fanout: LiveFanout) {
        running.withLockedValue { running in
            if running[channel]?.fanout === fanout { running[channel] = nil }
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

    /// Channels with an upstream now and their viewer counts (for `/api/connections` and metrics).
    var channels: [Channel: (viewers: Int, snapshot: LiveFanout.Snapshot)] {
        running.withLockedValue { $0.mapValues { ($0.viewers.count, $0.fanout.snapshot) } }
    }
}
