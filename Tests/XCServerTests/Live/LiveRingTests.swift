import NIOCore
import Testing
@testable import XCServerKit

/// The live ring and TS scanner as plain values (docs/live.md, "The ring"): no clock, no socket.
@Suite struct LiveRingTests {
    /// A TS packet whose payload bytes all carry `serial`, so a viewer's bytes show which packets it got.
    static func packet(pid: Int, serial: UInt8, pat: Bool = false, keyframe: Bool = false) -> [UInt8] {
        var bytes = [UInt8](repeating: serial, count: TSScanner.packetSize)
        bytes[0] = TSScanner.syncByte
        bytes[1] = UInt8((pid >> 8) & 0x1F) | (pat ? 0x40 : 0)
        bytes[2] = UInt8(pid & 0xFF)
        bytes[3] = keyframe ? 0x30 : 0x10
        if keyframe {
            bytes[4] = 7
            bytes[5] = 0x40
        }
        return bytes
    }

    /// Packets 0..<count: a PAT every 10 packets, a keyframe 3 packets after each PAT.
    static func stream(packets count: Int, garbage: String = "") -> [UInt8] {
        var bytes = Array(garbage.utf8)
        for index in 0..<count {
            bytes += packet(pid: index % 10 == 0 ? 0 : 256, serial: UInt8(index % 256), pat: index % 10 == 0,
                            keyframe: index % 10 == 3)
        }
        return bytes
    }

    static func feed(_ ring: inout LiveRing, _ bytes: [UInt8], chunk: Int) {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            ring.append(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }

    static func bytes(_ read: LiveRing.Read) -> [UInt8] {
        switch read {
        case .bytes(let slices), .movedForward(_, let slices): slices.flatMap { Array($0.readableBytesView) }
        case .waiting, .dropped: []
        }
    }

    @Test func theScannerFindsPacketsAndEntryPointsAcrossChunkEdgesAfterGarbage() {
        let garbage = "<b>Warning</b>: session_start() in /var/www/x.php\n"
        let bytes = Self.stream(packets: 50, garbage: garbage)
        for chunk in [1, 7, 188, 1000] {
            var scanner = TSScanner()
            var entries: [Int64] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                entries += scanner.feed(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            let base = Int64(garbage.utf8.count)
            #expect(entries == [0, 10, 20, 30, 40].map { base + Int64($0 * 188) }, "chunk \(chunk)")
            #expect(scanner.lastPacketStart == base + 49 * 188)
            #expect(scanner.lastPAT == base + 40 * 188)
        }
    }

    @Test func aNewViewerStartsAtTheNewestPATBeforeAKeyframe() {
        var ring = LiveRing(policy: .init(capacity: 1 << 20, maxJumps: 3))
        Self.feed(&ring, Self.stream(packets: 37), chunk: 1000)
        ring.join(1)
        // Packet 30 is the newest PAT followed by a keyframe (33); 36 is the newest packet.
        #expect(ring.viewers[1]?.position == Int64(30 * 188))
        let got = Self.bytes(ring.read(1, maxBytes: 1 << 20))
        #expect(got == Array(Self.stream(packets: 37)[(30 * 188)...]))
        #expect(ring.read(1, maxBytes: 100) == .waiting)
    }

    @Test func withoutPATsAViewerStartsAtTheNewestPacketBoundary() {
        var ring = LiveRing(policy: .init(capacity: 1 << 20, maxJumps: 3))
        var bytes: [UInt8] = [0x00, 0x01, 0x02]
        for serial in 0..<5 { bytes += Self.packet(pid: 256, serial: UInt8(serial)) }
        bytes += Self.packet(pid: 256, serial: 5)[0..<50]  // the newest packet is still arriving
        Self.feed(&ring, bytes, chunk: 64)
        ring.join(7)
        #expect(ring.viewers[7]?.position == Int64(3 + 5 * 188))
        #expect(Self.bytes(ring.read(7, maxBytes: 1000)).first == TSScanner.syncByte)
    }

    @Test func memoryStaysBoundedAndEveryViewerReadsAContiguousRun() {
        var ring = LiveRing(policy: .init(capacity: 188 * 40, maxJumps: 100))
        let bytes = Self.stream(packets: 2000)
        ring.join(1)
        var received: [UInt8] = []
        var offset = 0
        var maxFill = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 1316)
            ring.append(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
            maxFill = max(maxFill, ring.fill)
            received += Self.bytes(ring.read(1, maxBytes: 4096))  // keeps up
        }
        let same = received == bytes  // a Bool: a failing array comparison would be diffed for minutes
        #expect(same, "\(received.count) of \(bytes.count) bytes")
        #expect(maxFill <= 188 * 40 + 1316)
    }

    @Test func aSlowViewerIsMovedForwardWithoutHoldingTheReaderThenDropped() {
        var ring = LiveRing(policy: .init(capacity: 188 * 40, maxJumps: 2))
        let bytes = Self.stream(packets: 400)
        ring.join(1)  // reads nothing
        ring.join(2)  // keeps up
        var fast: [UInt8] = []
        var moves: [Int64] = []
        var dropped = false
        var offset = 0
        var round = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 188 * 5)
            ring.append(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
            fast += Self.bytes(ring.read(2, maxBytes: 1 << 20))
            round += 1
            if round % 20 == 0, !dropped {
                switch ring.read(1, maxBytes: 188) {
                case .movedForward(let skipped, let slices):
                    moves.append(skipped)
                    // Lands on an entry point: a PAT packet.
                    #expect(slices.first?.getInteger(at: slices.first!.readerIndex, as: UInt8.self) == TSScanner.syncByte)
                    #expect(slices.first.map { $0.getInteger(at: $0.readerIndex + 1, as: UInt8.self) } == 0x40, "PID 0 with payload start")
                case .dropped: dropped = true
                default: break
                }
            }
        }
        let fastGotAll = fast == bytes
        #expect(fastGotAll, "the slow viewer never delays another (\(fast.count) of \(bytes.count) bytes)")
        #expect(moves.count == 2 && moves.allSatisfy { $0 > 0 })
        #expect(dropped && ring.viewers[1] == nil)
        #expect(ring.read(1, maxBytes: 10) == .dropped)
    }

    @Test func readsShareTheUpstreamChunksAndRespectTheLimit() {
        var ring = LiveRing(policy: .init(capacity: 1 << 20, maxJumps: 1))
        ring.join(1)
        Self.feed(&ring, Self.stream(packets: 20), chunk: 500)
        var total = 0
        while case .bytes(let slices) = ring.read(1, maxBytes: 300) {
            let length = slices.reduce(0) { $0 + $1.readableBytes }
            #expect(length <= 300 && length > 0)
            total += length
        }
        #expect(total == 20 * 188)
        #expect(ring.behind(1) == 0)
        ring.leave(1)
        #expect(ring.behind(1) == nil)
    }
}
