import FixtureProvider
import Foundation
import Sync
import Testing
@testable import XCServerKit

/// What a newcomer does first: `xcserver demo`, then open a film and an episode in a real player. The
/// binary is copied elsewhere and run from another directory, with `XCSERVER_FIXTURES` pointing nowhere,
/// so the demo's catalog and media can only come from inside the executable. ffprobe and ffmpeg (installed
/// when missing, see `ExternalTool.ffmpeg()`) play each title through xcserver, decoding every frame, and
/// seek into it.
@Suite struct DemoPlaybackTests {
    @Test func demoFilmsAndEpisodesPlayAndSeekFromACopiedBinary() async throws {
        let tools = try await ExternalTool.ffmpeg()
        try await ServedBinary.demoFromACopy { server in
            // The titles, as a client finds them (polled: the listener may answer before the start-up sync ends).
            let api = "/player_api.php?username=\(DemoLogin.username)&password=\(DemoLogin.password)"
            var movies: [ProviderValue] = []
            var episodes: [ProviderValue] = []
            for _ in 0..<600 where movies.isEmpty || episodes.isEmpty {
                movies = try await server.json(api + "&action=get_vod_streams").items
                episodes = try await server.json(api + "&action=get_series_info&series_id=501")["episodes"]["1"].items
                if movies.isEmpty || episodes.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            func movie(_ ext: String) throws -> String {
                let item = try #require(movies.first { $0["container_extension"].string == ext }, "no \(ext) film in the demo")
                return "/movie/\(DemoLogin.username)/\(DemoLogin.password)/\(item["stream_id"].int ?? -1).\(ext)"
            }
            let episode = try #require(episodes.first, "Breaking Bad has no season 1 in the demo: \(server.child.errors)")
            let episodeExt = episode["container_extension"].string ?? "mkv"
            let titles = [try movie("mkv"), try movie("mp4"),
                          "/series/\(DemoLogin.username)/\(DemoLogin.password)/\(episode["id"].string ?? "").\(episodeExt)"]

            // What decoding the committed samples gives. A title may stream from either account (when the login's
            // previous viewing still holds alpha's one connection, beta's copy plays), and the two accounts list some
            // titles in different containers, so a title's frames must be those of one of the two samples.
            var references: [String: String] = [:]
            for name in ["demo.mkv", "demo.mp4"] {
                references[name] = try await Self.framemd5(tools, FixtureProvider.sourceFixturesDirectory.appendingPathComponent("media/\(name)").path).result.stdout
            }
            for path in titles {
                let url = server.base + path
                let probe = try await MediaPlaybackTests.probe(tools, url)
                #expect(probe.streams.contains("video:h264") && probe.streams.contains("audio:aac"), "\(path): streams \(probe.streams)")
                #expect(probe.duration > 5 && probe.duration < 7, "\(path): \(probe.duration) s")

                // Every frame decodes, and exactly as the committed file's.
                let decode = try await Self.framemd5(tools, url)
                MediaPlaybackTests.expectCleanDecode(decode.result, "ffmpeg \(path)")
                let matched = references.filter { $0.value == decode.result.stdout }.keys
                #expect(matched.count == 1, "\(path): the decoded frames are those of neither fixtures/media/demo.mkv nor demo.mp4")
                #expect(decode.videoFrames >= 50, "\(path): only \(decode.videoFrames) video frames")

                // A seek to 3 s: decoding starts there (timestamps kept), with about half the frames.
                let seek = try await Self.framemd5(tools, url, seek: 3)
                MediaPlaybackTests.expectCleanDecode(seek.result, "ffmpeg -ss 3 \(path)")
                #expect(seek.videoFrames > 10 && seek.videoFrames < decode.videoFrames * 3 / 4,
                        "\(path): \(seek.videoFrames) frames after the seek, \(decode.videoFrames) in all")
                #expect((seek.firstVideoSeconds ?? 0) >= 2.5, "\(path): the first frame after -ss 3 is at \(seek.firstVideoSeconds ?? -1) s")
            }
            #expect(try await server.stop() == 0, "\(server.child.errors)")
        }
    }

    struct Decode {
        var result: ExternalTool.Result
        var videoFrames: Int
        var firstVideoSeconds: Double?
    }

    /// `ffmpeg -f framemd5` of `input` (from `seek` seconds on, with the original timestamps).
    static func framemd5(_ tools: ExternalTool.FFmpeg, _ input: String, seek: Double? = nil) async throws -> Decode {
        let seekArguments = seek.map { ["-ss", String($0)] } ?? []
        let result = try await ExternalTool.run(
            tools.ffmpeg, ["-v", "error", "-nostdin"] + seekArguments + ["-i", input, "-map", "0", "-copyts", "-f", "framemd5", "-"],
            timeout: .seconds(120))
        // `#tb 0: 1/1000` gives stream 0's time base; frame lines are `0, dts, pts, duration, size, md5`.
        let lines = result.stdout.split(separator: "\n")
        let base = lines.first { $0.hasPrefix("#tb 0:") }.map { $0.dropFirst(6).split(separator: "/").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
        let frames = lines.filter { $0.hasPrefix("0,") }
        let firstPTS = frames.first.flatMap { Double($0.split(separator: ",")[2].trimmingCharacters(in: .whitespaces)) }
        let seconds = firstPTS.flatMap { pts in base.flatMap { $0.count == 2 && $0[1] > 0 ? pts * $0[0] / $0[1] : nil } }
        return Decode(result: result, videoFrames: frames.count, firstVideoSeconds: seconds)
    }
}
