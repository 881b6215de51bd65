import FixtureProvider
import Foundation
import Testing

/// The fixture's endless live channel: a real clip looped into one unbroken broadcast (continuity counters
/// carried on, timestamps moved on per lap), padded with null packets that carry their own index.
@Suite struct LiveTSTests {
    static let clipURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/media/live.ts")

    static func channel(bitsPerSecond: Int = 1_000_000) throws -> LiveTS {
        try LiveTS(clip: [UInt8](try Data(contentsOf: clipURL)), bitsPerSecond: bitsPerSecond)
    }

    static func pid(_ p: ArraySlice<UInt8>) -> Int { (Int(p[p.startIndex + 1] & 0x1F) << 8) | Int(p[p.startIndex + 2]) }

    @Test func lapsCarryContinuityCountersAndNullPacketsTheirIndex() throws {
        let live = try Self.channel()
        let packets = live.packetsPerLap * 3
        var lastCounter: [Int: UInt8] = [:]
        var nulls = 0
        for index in 0..<packets {
            let packet = live.packet(index)
            #expect(packet.count == 188 && packet[0] == 0x47)
            let pid = Self.pid(packet[...])
            if pid == LiveTS.nullPID {
                #expect(LiveTS.nullPacketIndex(packet) == index)
                nulls += 1
                continue
            }
            guard packet[3] & 0x10 != 0 else { continue }
            let counter = packet[3] & 0x0F
            if let last = lastCounter[pid] { #expect(counter == (last + 1) & 0x0F, "PID \(pid) at packet \(index)") }
            lastCounter[pid] = counter
        }
        #expect(nulls > 0, "1 Mbit/s is above the clip's own rate, so nulls make up the difference")
        #expect(live.bytes(1000..<5000) == Array((Int64(0)..<30).flatMap { live.packet($0) }[1000..<5000]))
    }

    @Test func aBitRateBelowTheClipsOwnIsRefusedWithTheRateItNeeds() throws {
        #expect(throws: LiveTS.ClipError.self) { try Self.channel(bitsPerSecond: 10_000) }
        #expect(throws: LiveTS.ClipError.self) { try LiveTS(clip: [0x47, 0, 0], bitsPerSecond: 1_000_000) }
    }

    @Test func ffmpegDecodesFourLapsAsOneBroadcast() async throws {
        let tools = try await ExternalTool.ffmpeg()
        let live = try Self.channel()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).ts")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data((0..<live.packetsPerLap * 4).flatMap { live.packet($0) }).write(to: file)
        let decode = try await ExternalTool.run(tools.ffmpeg, ["-v", "warning", "-i", file.path, "-f", "null", "-"],
                                                timeout: .seconds(120))
        #expect(decode.succeeded, "\(decode.stderrTail)")
        #expect(decode.stderr.isEmpty, "no warnings: timestamps and counters run on across laps: \(decode.stderrTail)")
        let probe = try await ExternalTool.run(tools.ffprobe, ["-v", "error", "-show_entries", "format=duration",
                                                               "-of", "default=nw=1:nk=1", file.path], timeout: .seconds(60))
        let seconds = Double(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(seconds > 4 * 2.0 && seconds < 4 * 2.2, "four laps of 2.1 s, got \(seconds)")
    }
}
