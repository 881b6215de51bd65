import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The fixture provider's live channels: each an endless `LiveTS` broadcast at a steady bit rate, which a
/// connection joins at the channel's current position (as a real head-end serves it), plus the controls
/// a test needs: how many upstream connections each channel has had and has open, and dropping or
/// stalling a channel's open streams on command.
public final class LiveChannels: Sendable {
    public let source: LiveTS
    /// How often a paced stream writes (each write is the bytes due since the last).
    static let tick: Duration = .milliseconds(20)

    private struct Channel {
        var opened = 0
        var open = 0
        var mostOpen = 0
        /// Bumped by `drop`: open streams of an older generation end.
        var generation = 0
        var stalled = false
    }

    private let epoch = ContinuousClock.now
    private let channels = NIOLockedValueBox<[Int: Channel]>([:])

    public init(source: LiveTS) {
        self.source = source
    }

    // MARK: Observing and controlling

    /// Connections a channel has had since the provider started.
    public func opened(_ channel: Int) -> Int { channels.withLockedValue { $0[channel]?.opened ?? 0 } }
    /// Connections of a channel open now.
    public func open(_ channel: Int) -> Int { channels.withLockedValue { $0[channel]?.open ?? 0 } }
    /// The most connections a channel ever had open at once.
    public func mostOpen(_ channel: Int) -> Int { channels.withLockedValue { $0[channel]?.mostOpen ?? 0 } }

    /// Ends every open stream of the channel now (the connection closes mid-stream).
    public func drop(_ channel: Int) {
        channels.withLockedValue { $0[channel, default: Channel()].generation += 1 }
    }

    /// Stops (or resumes) sending on the channel's open streams while keeping their connections open.
    public func stall(_ channel: Int, _ stalled: Bool) {
        channels.withLockedValue { $0[channel, default: Channel()].stalled = stalled }
    }

    // MARK: Serving

    /// The channel's current broadcast position: where a connection opened now starts (packet aligned).
    func livePosition(at now: ContinuousClock.Instant = .now) -> Int64 {
        let bytes = Int64((now - epoch).seconds * Double(source.bitsPerSecond) / 8)
        return bytes - bytes % Int64(LiveTS.packetSize)
    }

    /// An endless response body for `channel`, paced at the channel's bit rate.
    func body(channel: Int, ended: @escaping @Sendable () -> Void = {}) -> ResponseBody {
        ResponseBody { writer in
            defer { ended() }
            let generation = self.channels.withLockedValue { channels -> Int in
                var state = channels[channel, default: Channel()]
                state.opened += 1
                state.open += 1
                state.mostOpen = max(state.mostOpen, state.open)
                channels[channel] = state
                return state.generation
            }
            defer { self.channels.withLockedValue { $0[channel]?.open -= 1 } }
            var position = self.livePosition()
            while !Task.isCancelled {
                try await Task.sleep(for: Self.tick)
                let (current, stalled) = self.channels.withLockedValue { ($0[channel]?.generation ?? 0, $0[channel]?.stalled ?? false) }
                guard current == generation else { throw ProviderResponder.DroppedConnection() }
                let due = self.livePosition()
                if stalled {
                    position = due  // a stall loses what it did not send, like a head-end that froze
                    continue
                }
                guard due > position else { continue }
                try await writer.write(ByteBuffer(bytes: self.source.bytes(position..<due)))
                position = due
            }
            try await writer.finish(nil)
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
