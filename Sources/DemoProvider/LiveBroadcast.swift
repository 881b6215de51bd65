import Hummingbird
import NIOCore

/// The live channels of a provider on loopback: each an endless `LiveTS` broadcast at a steady bit rate,
/// which a connection joins at the current position (as a real head-end serves it). Every channel airs the
/// same broadcast; the HLS segment timeline runs on the same clock. How each open stream behaves (counted,
/// dropped, stalled) is the backend's ``LiveWatch``.
package final class LiveBroadcast: Sendable {
    package let source: LiveTS
    /// When the broadcast started.
    package let epoch = ContinuousClock.now
    /// How often a paced stream writes (each write is the bytes due since the last).
    static let tick: Duration = .milliseconds(20)

    package init(source: LiveTS) {
        self.source = source
    }

    /// The broadcast's current position: where a connection opened now starts (packet aligned).
    func livePosition(at now: ContinuousClock.Instant = .now) -> Int64 {
        let bytes = Int64((now - epoch).seconds * Double(source.bitsPerSecond) / 8)
        return bytes - bytes % Int64(LiveTS.packetSize)
    }

    /// An endless response body, paced at the broadcast's bit rate; `watch` is asked when it starts sending.
    func body(watch: @escaping @Sendable () -> LiveWatch, ended: @escaping @Sendable () -> Void = {}) -> ResponseBody {
        ResponseBody { writer in
            defer { ended() }
            let watch = watch()
            defer { watch.ended() }
            var position = self.livePosition()
            while !Task.isCancelled {
                try await Task.sleep(for: Self.tick)
                let due = self.livePosition()
                switch watch.tick() {
                case .drop: throw ProviderResponder.DroppedConnection()
                case .stall:
                    position = due  // a stall loses what it did not send, like a head-end that froze
                    continue
                case .send: break
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
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
