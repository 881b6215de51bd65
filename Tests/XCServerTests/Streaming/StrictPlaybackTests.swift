import FixtureProvider
import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// A real ffmpeg playing and seeking a real file through xcserver on a provider that counts sockets and
/// allows one (docs/sockets.md): every request of the viewing shares the one upstream socket.
@Suite struct StrictPlaybackTests {
    @Test func ffmpegPlaysAndSeeksOverOneSocket() async throws {
        let tools = try await ExternalTool.ffmpeg()
        let media = try await MediaPlaybackTests.media.value
        try await TestEnvironment.with(config: ServerConfig(grace: .seconds(1))) { env in
            var alpha = try #require(try await env.store.account(named: "alpha"))
            alpha.socketLimit = .strict
            try await env.store.updateAccount(alpha)
            MediaPlaybackTests.prepare(env, media: media, chunkDelay: .milliseconds(20))
            env.provider.limitSockets(FixtureSocketLimit(limit: 1), for: "alpha")
            let url = MediaPlaybackTests.url(env)
            async let whole = ExternalTool.run(
                tools.ffmpeg, ["-v", "error", "-nostdin", "-i", url, "-map", "0", "-f", "framemd5", "-"], timeout: .seconds(120))
            try await Task.sleep(for: .milliseconds(300))
            let seek = try await ExternalTool.run(
                tools.ffmpeg, ["-v", "error", "-nostdin", "-ss", "3", "-i", url, "-map", "0", "-t", "2", "-f", "null", "-"],
                timeout: .seconds(120))
            let first = try await whole
            MediaPlaybackTests.expectCleanDecode(first, "ffmpeg reading the whole film on a strict account")
            #expect(first.stdout == media.framemd5, "decoded frames through the one socket differ from the file's")
            MediaPlaybackTests.expectCleanDecode(seek, "ffmpeg -ss 3 while the first read runs")
            let stats = env.provider.stats(for: "alpha")
            #expect(stats.maxOpenSockets == 1, "alpha saw \(stats.maxOpenSockets) sockets")
            #expect(stats.refusedSockets == 0, "alpha refused \(stats.refusedSockets) socket(s)")
            #expect(env.provider.stats(for: "beta").streamRequests.isEmpty)
            print("[StrictPlaybackTests] alpha answered \(stats.streamRequests.count) chunk requests on one socket")
        }
    }
}
