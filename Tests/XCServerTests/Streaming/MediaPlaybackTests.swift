import FixtureProvider
import Foundation
import Synchronization
import Testing
import XCModels
@testable import XCServerKit

/// A real media file played through the proxy by a real player stack (ffprobe / ffmpeg's HTTP + Matroska
/// demuxer), from an alpha account that allows one connection on both sides: xcserver's `max_connections` 1
/// and the provider refusing a second title (`enforceMaxConnections`).
///
/// The title is The Matrix (public 10001), which beta also holds: if any request of the viewing went to
/// beta (whose copy is other bytes), the decode would break, and the test also checks beta saw nothing.
///
/// ffmpeg and ffprobe are installed with apt-get when missing (see `ExternalTool.ffmpeg()`); a machine where
/// that is impossible fails these tests with the reason.
@Suite(.serialized) struct MediaPlaybackTests {
    static let movieID = 10001
    static let alphaStreamID = 10001

    /// A 10 s, ~2 MB MKV (H.264 + AAC, or MPEG-4 + MP2 when libx264 is missing), made once per test process.
    struct Media: Sendable {
        var path: String
        var duration: Double
        var size: Int
        /// `ffmpeg -f framemd5` of the local file: what an exact decode through the proxy must print.
        var framemd5: String
    }

    /// Where the media lives; removed when the test process exits.
    static let mediaDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-media-\(UUID().uuidString)")

    static let media = Task<Media, any Error> {
        let tools = try await ExternalTool.ffmpeg()
        let directory = mediaDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: MediaPlaybackTests.mediaDirectory) }
        let path = directory.appendingPathComponent("testsrc.mkv").path
        let inputs = ["-hide_banner", "-nostdin", "-y",
                      "-f", "lavfi", "-i", "testsrc=duration=10:size=640x360:rate=25",
                      "-f", "lavfi", "-i", "sine=frequency=440:duration=10",
                      // Noise keeps the bitrate up (~2 MB): reads take long enough to overlap, seeks land mid-file.
                      "-vf", "noise=alls=12:allf=t"]
        let encoders: [[String]] = [
            ["-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-b:v", "1500k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k"],
            ["-c:v", "mpeg4", "-g", "25", "-b:v", "1500k", "-c:a", "mp2", "-b:a", "128k"],
        ]
        var failures: [String] = []
        for encoder in encoders {
            let made = try await ExternalTool.run(tools.ffmpeg, inputs + encoder + [path], timeout: .seconds(120))
            if made.succeeded { failures = []; break }
            failures.append("\(encoder[1]): \(made.stderrTail)")
        }
        guard failures.isEmpty else { throw TestFailure("could not make a test MKV with ffmpeg:\n\(failures.joined(separator: "\n"))") }
        let probe = try await Self.probe(tools, path)
        let md5 = try await ExternalTool.run(tools.ffmpeg, ["-v", "error", "-nostdin", "-i", path, "-map", "0", "-f", "framemd5", "-"], timeout: .seconds(120))
        guard md5.succeeded else { throw TestFailure("framemd5 of the local file failed: \(md5.stderrTail)") }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        print("[MediaPlaybackTests] test media \(path): \(size) bytes, \(probe.duration) s, streams \(probe.streams)")
        return Media(path: path, duration: probe.duration, size: size, framemd5: md5.stdout)
    }

    struct Probe: Sendable {
        var duration: Double
        /// "video:h264", "audio:aac", ...
        var streams: [String]
    }

    static func probe(_ tools: ExternalTool.FFmpeg, _ input: String) async throws -> Probe {
        let result = try await ExternalTool.run(
            tools.ffprobe, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", input], timeout: .seconds(60))
        guard result.succeeded else {
            throw TestFailure("ffprobe \(input) failed (status \(result.status), timed out \(result.timedOut)):\n\(result.stderrTail)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let format = json?["format"] as? [String: Any]
        let duration = (format?["duration"] as? String).flatMap(Double.init) ?? -1
        let streams = (json?["streams"] as? [[String: Any]] ?? []).map {
            "\($0["codec_type"] as? String ?? "?"):\($0["codec_name"] as? String ?? "?")"
        }
        return Probe(duration: duration, streams: streams)
    }

    /// Alpha serves the real file for The Matrix and refuses a second title like a strict panel.
    static func prepare(_ env: TestEnvironment, media: Media, chunkDelay: Duration? = nil) {
        let path = media.path
        env.provider.updateAccount("alpha") { $0.mediaFiles[alphaStreamID] = path }
        env.provider.setFaults(FixtureFaults(enforceMaxConnections: true, chunkDelay: chunkDelay), for: "alpha")
        env.provider.setFaults(FixtureFaults(enforceMaxConnections: true), for: "beta")
        env.provider.resetStats()
    }

    static func url(_ env: TestEnvironment) -> String {
        "\(env.baseURL)/movie/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/\(movieID).mkv"
    }

    /// Checks what the provider saw: one title open at most on alpha, nothing refused, beta never asked.
    static func expectProviderSawOneViewing(_ env: TestEnvironment, minimumOpenStreams: Int = 1) {
        let alpha = env.provider.stats(for: "alpha")
        let beta = env.provider.stats(for: "beta")
        #expect(alpha.maxOpenTitles == 1, "alpha had \(alpha.maxOpenTitles) distinct titles open at once (max_connections 1)")
        #expect(alpha.maxOpenStreams >= minimumOpenStreams, "alpha never had \(minimumOpenStreams) streams of the viewing open at once (\(alpha.maxOpenStreams))")
        #expect(!alpha.streamRequests.isEmpty, "alpha served nothing")
        let refused = alpha.streamRequests.filter { ![200, 206].contains($0.status) }
        #expect(refused.isEmpty, "alpha answered other than 200/206 (403 = a second connection): \(refused)")
        #expect(beta.streamRequests.isEmpty, "a request of the viewing went to beta, whose copy is another file: \(beta.streamRequests)")
        let requests = alpha.streamRequests.map { "\($0.method) \($0.range ?? "-") \($0.status)" }
        print("[MediaPlaybackTests] alpha saw \(requests.count) request(s): \(requests.joined(separator: ", ")); maxOpenStreams \(alpha.maxOpenStreams)")
    }

    /// Samples xcserver's slot core while `body` runs: alpha's load must never exceed 1.
    static func sampleSlots<T>(
        _ env: TestEnvironment, _ label: String, _ body: () async throws -> T
    ) async throws -> (T, maxAlphaLoad: Int, maxSlots: Int) {
        let watchdog = HangWatchdog("MediaPlaybackTests.\(label)", stall: .seconds(180))
        defer { watchdog.stop() }
        let slots = env.services.slots
        let sampler = Task { () -> (Int, Int) in
            var maxLoad = 0
            var maxSlots = 0
            while !Task.isCancelled {
                let snapshot = await slots.snapshot()
                maxLoad = max(maxLoad, snapshot.accounts.first { $0.name == "alpha" }?.load ?? 0)
                maxSlots = max(maxSlots, snapshot.slots.count)
                watchdog.progress()
                try? await Task.sleep(for: .milliseconds(5))
            }
            return (maxLoad, maxSlots)
        }
        let result: T
        do {
            result = try await body()
        } catch {
            sampler.cancel()
            throw error
        }
        sampler.cancel()
        let (maxLoad, maxSlots) = await sampler.value
        return (result, maxLoad, maxSlots)
    }

    static func expectCleanDecode(_ result: ExternalTool.Result, _ what: String) {
        #expect(result.succeeded, "\(what): status \(result.status), timed out \(result.timedOut):\n\(result.stderrTail)")
        #expect(!result.stderr.lowercased().contains("error"), "\(what) reported errors:\n\(result.stderrTail)")
    }

    @Test func ffprobeAndFfmpegPlayTheFileThroughTheProxy() async throws {
        let tools = try await ExternalTool.ffmpeg()
        let media = try await Self.media.value
        try await TestEnvironment.with { env in
            Self.prepare(env, media: media)
            let url = Self.url(env)

            let ((probe, decode, md5), maxLoad, _) = try await Self.sampleSlots(env, "ffprobe/ffmpeg") {
                let probe = try await Self.probe(tools, url)
                let decode = try await ExternalTool.run(
                    tools.ffmpeg, ["-v", "error", "-nostdin", "-i", url, "-map", "0", "-f", "null", "-"], timeout: .seconds(120))
                let md5 = try await ExternalTool.run(
                    tools.ffmpeg, ["-v", "error", "-nostdin", "-i", url, "-map", "0", "-f", "framemd5", "-"], timeout: .seconds(120))
                return (probe, decode, md5)
            }

            #expect(abs(probe.duration - media.duration) < 0.05, "ffprobe through the proxy: duration \(probe.duration), file \(media.duration)")
            #expect(probe.streams.contains { $0.hasPrefix("video:") } && probe.streams.contains { $0.hasPrefix("audio:") },
                    "ffprobe through the proxy sees streams \(probe.streams)")
            Self.expectCleanDecode(decode, "ffmpeg -f null through the proxy")
            Self.expectCleanDecode(md5, "ffmpeg -f framemd5 through the proxy")
            #expect(md5.stdout == media.framemd5, "decoded frames through the proxy differ from the file's (\(md5.stdout.count) vs \(media.framemd5.count) characters of framemd5)")
            #expect(md5.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.count > 250, "too few decoded frames")
            #expect(maxLoad <= 1, "xcserver put \(maxLoad) viewings on alpha")
            Self.expectProviderSawOneViewing(env)
        }
    }

    /// TiviMate-like: while a first ffmpeg still reads the film (alpha slowed down so it takes seconds), a
    /// second one opens the same URL with `-ss 3` (header read, Cues/seek Range requests) and decodes from
    /// there. Both must succeed on the one-connection account: they are one viewing, one slot.
    @Test func aSeekWhileTheFirstReadRunsSharesTheOneConnection() async throws {
        let tools = try await ExternalTool.ffmpeg()
        let media = try await Self.media.value
        try await TestEnvironment.with { env in
            // About 5 s for the whole ~2 MB file at 64 KiB per 150 ms.
            Self.prepare(env, media: media, chunkDelay: .milliseconds(150))
            let url = Self.url(env)

            let ((first, second, firstRunningWhenSecondEnded), maxLoad, maxSlots) = try await Self.sampleSlots(env, "seek while reading") {
                let firstTask = Task {
                    try await ExternalTool.run(
                        tools.ffmpeg, ["-v", "error", "-nostdin", "-i", url, "-map", "0", "-f", "framemd5", "-"], timeout: .seconds(120))
                }
                // Start the seek once the first read is streaming from the provider.
                let deadline = ContinuousClock.now + .seconds(20)
                while env.provider.stats(for: "alpha").openStreams == 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(500))
                let second = try await ExternalTool.run(
                    tools.ffmpeg, ["-v", "error", "-nostdin", "-ss", "3", "-i", url, "-map", "0", "-t", "2", "-f", "null", "-"],
                    timeout: .seconds(120))
                let stillRunning = env.provider.stats(for: "alpha").openStreams > 0
                return (try await firstTask.value, second, stillRunning)
            }

            Self.expectCleanDecode(first, "the first ffmpeg read")
            #expect(first.stdout == media.framemd5, "the first read's decoded frames differ from the file's")
            Self.expectCleanDecode(second, "ffmpeg -ss 3 while the first read runs")
            #expect(firstRunningWhenSecondEnded, "the first read had ended before the seek finished: the test did not overlap them (\(first.elapsed) vs \(second.elapsed))")
            #expect(maxLoad <= 1, "xcserver put \(maxLoad) viewings on alpha")
            #expect(maxSlots <= 1, "one viewing held \(maxSlots) slots")
            Self.expectProviderSawOneViewing(env, minimumOpenStreams: 2)
            let ranged = env.provider.stats(for: "alpha").streamRequests.filter { $0.range != nil }
            // The seek to 3 s of 10 s lands about a third into the file (the Cues read is at the very end).
            let midFile = ranged.compactMap { $0.range.flatMap(ByteRange.init(header:))?.start }
                .filter { $0 > Int64(media.size / 10) && $0 < Int64(media.size * 6 / 10) }
            #expect(!midFile.isEmpty, "no Range request into the middle of the file: the seek did not happen (\(ranged.map { $0.range ?? "-" }))")
            print("[MediaPlaybackTests] first read \(first.elapsed), seek read \(second.elapsed)")
        }
    }
}
