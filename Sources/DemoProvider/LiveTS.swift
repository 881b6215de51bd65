/// An endless live channel made of a short MPEG-TS clip played in a loop, padded with null packets to a
/// steady bit rate. Every packet is a function of its index, so a test can check that a viewer's bytes are
/// a contiguous run of the channel: the null packets carry their own index.
///
/// Each lap of the clip has its timestamps (PTS, DTS, PCR) moved on by one lap's duration and its
/// continuity counters carried on, so players decode it as one unbroken broadcast.
public struct LiveTS: Sendable {
    public static let packetSize = 188
    public static let nullPID = 0x1FFF
    /// A lap's length on the 90 kHz clock: the clip's longest stream, rounded up to a video frame.
    public let lapTicks: Int64
    /// Packets per lap: the clip's packets plus the nulls that make up the bit rate.
    public let packetsPerLap: Int64
    public let bitsPerSecond: Int

    private let clip: [[UInt8]]
    /// Payload-carrying packets of each PID per lap, to carry continuity counters across laps.
    private let payloadPacketsPerLap: [Int: Int]
    /// For each clip packet, how many payload packets of its PID came before it in the lap.
    private let payloadIndex: [Int]

    public enum ClipError: Error, CustomStringConvertible {
        case notPackets(Int)
        case bitRateBelowClip(clip: Int, asked: Int)
        public var description: String {
            switch self {
            case .notPackets(let count): "a live clip must be whole 188-byte TS packets; got \(count) bytes"
            case .bitRateBelowClip(let clip, let asked):
                "the clip needs \(clip) bit/s; ask for at least that, not \(asked)"
            }
        }
    }

    /// `clip`: whole TS packets; `lapTicks`: how far timestamps move per lap (90 kHz).
    public init(clip bytes: [UInt8], lapTicks: Int64 = 189_000, bitsPerSecond: Int) throws {
        guard !bytes.isEmpty, bytes.count % Self.packetSize == 0, bytes[0] == 0x47 else {
            throw ClipError.notPackets(bytes.count)
        }
        clip = stride(from: 0, to: bytes.count, by: Self.packetSize).map { Array(bytes[$0..<$0 + Self.packetSize]) }
        self.lapTicks = lapTicks
        self.bitsPerSecond = bitsPerSecond
        let lapSeconds = Double(lapTicks) / 90_000
        let clipBits = Int(Double(bytes.count * 8) / lapSeconds)
        guard bitsPerSecond >= clipBits else { throw ClipError.bitRateBelowClip(clip: clipBits, asked: bitsPerSecond) }
        packetsPerLap = max(Int64(clip.count), Int64((Double(bitsPerSecond) * lapSeconds / 8 / 188).rounded()))
        var counts: [Int: Int] = [:]
        var index: [Int] = []
        for packet in clip {
            let pid = Self.pid(packet)
            index.append(counts[pid, default: 0])
            if Self.hasPayload(packet) { counts[pid, default: 0] += 1 }
        }
        payloadPacketsPerLap = counts
        payloadIndex = index
    }

    /// Which clip packet (or nil: a null packet) stands at `position` inside a lap: the clip's packets are
    /// spread evenly over the lap.
    private func clipPacket(at position: Int64) -> Int? {
        let clipCount = Int64(clip.count)
        // Clip packet j sits at floor(j * lap / clip); invert and check.
        let j = (position * clipCount + packetsPerLap - 1) / packetsPerLap
        guard j < clipCount, j * packetsPerLap / clipCount == position else { return nil }
        return Int(j)
    }

    /// Packet number `index` of the endless channel.
    public func packet(_ index: Int64) -> [UInt8] {
        let lap = index / packetsPerLap
        guard let j = clipPacket(at: index % packetsPerLap) else { return Self.nullPacket(index) }
        var packet = clip[j]
        let pid = Self.pid(packet)
        if Self.hasPayload(packet), let perLap = payloadPacketsPerLap[pid] {
            let original = Int(packet[3] & 0x0F)
            let counter = (original + Int(lap % 16) * perLap) & 0x0F
            packet[3] = (packet[3] & 0xF0) | UInt8(counter)
        }
        if lap > 0 { Self.shiftTimestamps(&packet, by: lap * lapTicks) }
        return packet
    }

    /// Bytes `range` of the endless channel (any alignment).
    public func bytes(_ range: Range<Int64>) -> [UInt8] {
        guard !range.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound / Int64(Self.packetSize)
        while Int64(out.count) < Int64(range.count) {
            let packet = packet(index)
            let packetStart = index * Int64(Self.packetSize)
            let from = Int(max(0, range.lowerBound - packetStart))
            let to = Int(min(Int64(Self.packetSize), range.upperBound - packetStart))
            out += packet[from..<to]
            index += 1
        }
        return out
    }

    /// The index a null packet carries (its first payload bytes, big-endian), or nil for other packets.
    public static func nullPacketIndex(_ packet: some Collection<UInt8>) -> Int64? {
        let bytes = Array(packet.prefix(12))
        guard bytes.count == 12, bytes[0] == 0x47, pid(bytes) == nullPID else { return nil }
        return bytes[4..<12].reduce(0) { ($0 << 8) | Int64($1) }
    }

    // MARK: Packets

    static func pid(_ packet: [UInt8]) -> Int { (Int(packet[1] & 0x1F) << 8) | Int(packet[2]) }
    static func hasPayload(_ packet: [UInt8]) -> Bool { packet[3] & 0x10 != 0 }

    static func nullPacket(_ index: Int64) -> [UInt8] {
        var packet = [UInt8](repeating: 0xFF, count: packetSize)
        packet[0] = 0x47
        packet[1] = UInt8(nullPID >> 8)
        packet[2] = UInt8(nullPID & 0xFF)
        packet[3] = 0x10
        for byte in 0..<8 { packet[4 + byte] = UInt8((index >> (56 - 8 * byte)) & 0xFF) }
        return packet
    }

    private static let wrap: Int64 = 1 << 33

    /// Moves the PCR (adaptation field) and the PES header's PTS/DTS of a packet on by `ticks`.
    static func shiftTimestamps(_ p: inout [UInt8], by ticks: Int64) {
        var payload = 4
        let control = (p[3] >> 4) & 0x3
        if control == 2 || control == 3 {
            let length = Int(p[4])
            if length >= 7, p[5] & 0x10 != 0 {
                var base = Int64(p[6]) << 25 | Int64(p[7]) << 17 | Int64(p[8]) << 9 | Int64(p[9]) << 1 | Int64(p[10] >> 7)
                base = (base + ticks) % wrap
                p[6] = UInt8((base >> 25) & 0xFF)
                p[7] = UInt8((base >> 17) & 0xFF)
                p[8] = UInt8((base >> 9) & 0xFF)
                p[9] = UInt8((base >> 1) & 0xFF)
                p[10] = (p[10] & 0x7F) | UInt8((base & 1) << 7)
            }
            payload = 5 + length
        }
        // A PES header starts the payload of a packet with payload_unit_start set (not PSI: PID 0 and tables
        // start with a pointer field, never with 00 00 01).
        guard p[1] & 0x40 != 0, payload + 14 <= packetSize, p[payload] == 0, p[payload + 1] == 0,
              p[payload + 2] == 1
        else { return }
        let flags = p[payload + 7] >> 6
        if flags & 0x2 != 0 { shiftPESTimestamp(&p, at: payload + 9, by: ticks) }
        if flags == 0x3 { shiftPESTimestamp(&p, at: payload + 14, by: ticks) }
    }

    private static func shiftPESTimestamp(_ p: inout [UInt8], at i: Int, by ticks: Int64) {
        guard i + 5 <= packetSize else { return }
        var ts = Int64(p[i] & 0x0E) << 29 | Int64(p[i + 1]) << 22 | Int64(p[i + 2] & 0xFE) << 14
            | Int64(p[i + 3]) << 7 | Int64(p[i + 4]) >> 1
        ts = (ts + ticks) % wrap
        p[i] = (p[i] & 0xF0) | UInt8((ts >> 29) & 0x0E) | 1
        p[i + 1] = UInt8((ts >> 22) & 0xFF)
        p[i + 2] = UInt8((ts >> 14) & 0xFE) | 1
        p[i + 3] = UInt8((ts >> 7) & 0xFF)
        p[i + 4] = UInt8((ts << 1) & 0xFE) | 1
    }
}
