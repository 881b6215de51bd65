import AsyncHTTPClient
import Logging
import NIOConcurrencyHelpers
import XCModels

/// The I/O of one watched channel: opens its provider stream through `Upstream` and feeds the channel's
/// fan-out, reopening through `LiveReader` when the stream ends, fails or stalls.
///
/// Moving to another relation goes through the slot core (`SlotCore.moveChannel`), which moves every
/// viewer's slot with it, so the account whose load counts the channel is always the one whose socket is
/// open. When no other relation has room, the channel is reopened where it was. docs/live-streaming.md,
/// "Reconnect and failover".
struct LiveChannelReader: Sendable {
    let services: AppServices
    let contentID: Int64
    /// The channel's id as clients know it, for the log.
    let publicID: Int64
    /// Every relation of the channel, in admission order.
    let targets: [StreamTarget]
    let clientUserAgent: String?

    private struct Place: Sendable {
        var index = 0
        var channel: LiveHub.Channel
        var lastFailure = FailoverReason.connectError
    }

    func run(into fanout: LiveFanout, first channel: LiveHub.Channel) async {
        let policy = services.config.live
        let logger = services.logger
        let reader = LiveReader(stallTimeout: policy.stallTimeout, healthyAfter: policy.healthyAfter, policy: policy.reconnect,
                                logger: logger, pause: services.config.settle)
        let place = NIOLockedValueBox(Place(channel: channel))
        let flowing = services.upstream.readBudget.enter()
        defer { flowing.leave() }
        logger.info("[live] channel \(publicID) opening on \(name(channel))")
        let outcome = await reader.run(into: fanout, relations: targets.count, open: { index in
            try await open(index: index, place: place)
        }, lost: { _, loss in
            let channel = place.withLockedValue { $0.channel }
            services.live.noteReconnect(channel)
            services.metrics.countLiveReconnect(account: name(channel))
            logger.info("[live] channel \(publicID) on \(name(channel)) lost (\(Self.describe(loss))); reopening")
        })
        let last = place.withLockedValue { $0.channel }
        switch outcome {
        case .cancelled: logger.info("[live] channel \(publicID) closed on \(name(last))")
        case .gaveUp(let attempts):
            logger.warning("[live] channel \(publicID) gave up after \(attempts) attempts (last on \(name(last))); its viewers end")
        }
    }

    private func open(index: Int, place: NIOLockedValueBox<Place>) async throws -> HTTPClientResponse.Body {
        let (last, channel, failure) = place.withLockedValue { ($0.index, $0.channel, $0.lastFailure) }
        var current = channel
        if index != last, let from = target(for: channel)?.candidate {
            do {
                let next = try await services.slots.moveChannel(contentID: contentID, from: from, reason: failure)
                current = LiveHub.Channel(contentID: contentID, relationID: next.relationID)
                services.live.move(channel, to: current)
                services.logger.info("[live] channel \(publicID) moved from \(from.accountName) to \(next.accountName)")
            } catch {
                services.logger.info("[live] channel \(publicID) stays on \(from.accountName): \(error.message)")
            }
        }
        place.withLockedValue {
            $0.index = index
            $0.channel = current
        }
        guard let target = target(for: current) else { throw LiveReader.Refused(reason: "relation gone") }
        switch await services.upstream.open(target, range: nil, head: false, clientUserAgent: clientUserAgent) {
        case .opened(let response, _):
            return response.body
        case .failed(let reason):
            place.withLockedValue { $0.lastFailure = reason }
            if reason.isProviderRefusal { throw LiveReader.Refused(reason: reason.description) }
            throw LiveOpenError(reason: reason)
        }
    }

    private func target(for channel: LiveHub.Channel) -> StreamTarget? {
        targets.first { $0.candidate.relationID == channel.relationID }
    }

    private func name(_ channel: LiveHub.Channel) -> String {
        target(for: channel)?.candidate.accountName ?? "relation \(channel.relationID)"
    }

    static func describe(_ loss: LiveReader.Loss) -> String {
        switch loss {
        case .ended: "the provider ended the stream"
        case .stalled: "no bytes for the stall timeout"
        case .failed(let why): why
        case .refused(let why): "refused: \(why)"
        }
    }
}

struct LiveOpenError: Error, CustomStringConvertible {
    var reason: FailoverReason
    var description: String { reason.description }
}
