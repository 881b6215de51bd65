import NIOCore

/// Drops what a provider puts in front of the TS packets of a catch-up answer (PHP warnings, HTML):
/// bytes pass once a sync byte `0x47` is followed by another 188 bytes on (and a third when the
/// chunk holds it). A pure state machine over chunks; after the first sync everything passes.
struct TSSyncSkipper: Sendable {
    static let packet = 188
    /// Beyond this much garbage the answer is passed as it is (it is not TS; the player decides).
    static let limit = 64 * 1024

    private var held: [UInt8] = []
    private(set) var synced = false
    /// Bytes dropped before the first packet.
    private(set) var skipped = 0

    /// The part of `chunk` to forward (empty while still looking for the first packet).
    mutating func feed(_ chunk: ByteBuffer) -> ByteBuffer {
        if synced { return chunk }
        held.append(contentsOf: chunk.readableBytesView)
        var i = 0
        while i + Self.packet < held.count {
            if held[i] == 0x47, held[i + Self.packet] == 0x47, i + 2 * Self.packet >= held.count || held[i + 2 * Self.packet] == 0x47 {
                return release(from: i)
            }
            i += 1
        }
        if held.count > Self.limit { return release(from: 0) }
        return ByteBuffer()
    }

    /// What is still held at the end of the answer (a short answer: passed as it is).
    mutating func finish() -> ByteBuffer {
        synced ? ByteBuffer() : release(from: 0)
    }

    private mutating func release(from index: Int) -> ByteBuffer {
        synced = true
        skipped = index
        let out = ByteBuffer(bytes: held[index...])
        held = []
        return out
    }
}
