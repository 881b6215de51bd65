import NIOCore

/// Finds MPEG-TS packet boundaries and clean entry points in a byte stream fed chunk by chunk.
///
/// A live viewer who joins a channel mid-stream must start on a packet boundary (188-byte packets, each
/// beginning with the sync byte `0x47`), and a player starts decoding fastest at a PAT that is followed by
/// a keyframe (a packet whose adaptation field sets `random_access_indicator`). The scanner records both
/// as absolute stream offsets; it never copies bytes. docs/live.md, "Joining a channel".
///
/// Sync is re-found after garbage (a provider's PHP warning before the first packet, a splice in the
/// upstream) by looking for the next `0x47`; a wrong guess is corrected one packet later.
struct TSScanner: Sendable {
    static let packetSize = 188
    static let syncByte: UInt8 = 0x47

    /// Absolute offset of the next byte to be fed.
    private(set) var offset: Int64 = 0
    /// Start of the newest packet seen (it may still be incomplete).
    private(set) var lastPacketStart: Int64?
    /// The newest PAT that was followed by a keyframe packet: the best place to join.
    private(set) var lastEntryPoint: Int64?
    /// The newest PAT start, keyframe or not (the entry point of streams that never flag keyframes).
    private(set) var lastPAT: Int64?

    /// Position inside the current packet; nil while looking for sync.
    private var phase: Int?
    /// The first bytes of the current packet: header (4) plus adaptation length and flags (2).
    private var header: [UInt8] = []
    private var patWaitingForKeyframe: Int64?
    private static let headerLength = 6

    /// Reads `buffer`'s readable bytes (the buffer is not consumed) and returns the entry points found.
    @discardableResult
    mutating func feed(_ buffer: ByteBuffer) -> [Int64] {
        var entries: [Int64] = []
        buffer.withUnsafeReadableBytes { bytes in
            var index = 0
            let count = bytes.count
            while index < count {
                guard let position = phase else {
                    // Looking for sync: the next 0x47 is taken as a packet start, checked at the next packet.
                    guard let found = bytes[index...].firstIndex(of: Self.syncByte) else { index = count; break }
                    index = found
                    startPacket(at: offset + Int64(index))
                    continue
                }
                if position == Self.packetSize {
                    if bytes[index] == Self.syncByte {
                        startPacket(at: offset + Int64(index))
                    } else {
                        phase = nil  // lost sync: search again from here
                    }
                    continue
                }
                if position < Self.headerLength {
                    header.append(bytes[index])
                    phase = position + 1
                    index += 1
                    if position + 1 == Self.headerLength, let entry = packetHeaderComplete() { entries.append(entry) }
                    continue
                }
                let skip = min(count - index, Self.packetSize - position)
                index += skip
                phase = position + skip
            }
        }
        offset += Int64(buffer.readableBytes)
        return entries
    }

    private mutating func startPacket(at start: Int64) {
        lastPacketStart = start
        phase = 0
        header.removeAll(keepingCapacity: true)
    }

    /// Classifies the packet whose first six bytes are in `header`; returns a new entry point if it made one.
    private mutating func packetHeaderComplete() -> Int64? {
        guard let start = lastPacketStart else { return nil }
        let pid = (Int(header[1] & 0x1F) << 8) | Int(header[2])
        let payloadStart = header[1] & 0x40 != 0
        if pid == 0, payloadStart {
            lastPAT = start
            patWaitingForKeyframe = start
            return nil
        }
        let adaptation = (header[3] >> 4) & 0x3
        let hasAdaptation = adaptation == 2 || adaptation == 3
        if hasAdaptation, header[4] > 0, header[5] & 0x40 != 0, let pat = patWaitingForKeyframe {
            patWaitingForKeyframe = nil
            lastEntryPoint = pat
            return pat
        }
        return nil
    }
}
