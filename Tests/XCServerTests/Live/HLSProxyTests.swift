import FixtureProvider
import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// HLS live through xcserver over real HTTP, in front of the fixture provider's HLS channels: rewritten
/// playlists that hide the provider, one upstream fetch per segment for several viewers, the viewing's
/// slot held while the player fetches and ended by itself after, and ffmpeg playing it.
@Suite struct HLSProxyTests {
    /// A player's view of one HLS viewing: the playlist URL it was given and the segments it fetched.
    struct Player: Sendable {
        let env: TestEnvironment
        let playlist: String
        /// Media sequence number -> bytes received.
        var segments: [Int: [UInt8]] = [:]

        /// Fetches the playlist (following a master's one variant) and every listed segment not fetched yet.
        mutating func poll() async throws {
            var reply = try await env.request(playlist)
            #expect(reply.status == 200, "\(reply.text)")
            if HLSProxyTests.uris(reply.text).first?.hasSuffix(".m3u8") == true {
                reply = try await env.request(HLSProxyTests.uris(reply.text)[0])
                #expect(reply.status == 200, "\(reply.text)")
            }
            let first = try #require(HLSProxyTests.mediaSequence(reply.text))
            for (offset, uri) in HLSProxyTests.uris(reply.text).enumerated() where segments[first + offset] == nil {
                let segment = try await env.request(uri)
                #expect(segment.status == 200, "\(segment.text)")
                segments[first + offset] = segment.body
            }
        }
    }

    static func polled(_ player: Player) async throws -> Player {
        var player = player
        try await player.poll()
        return player
    }

    static func uris(_ playlist: String) -> [String] {
        playlist.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    static func mediaSequence(_ playlist: String) -> Int? {
        playlist.split(whereSeparator: \.isNewline).first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") }
            .flatMap { Int($0.dropFirst("#EXT-X-MEDIA-SEQUENCE:".count)) }
    }

    func playlistPath(_ env: TestEnvironment, _ channel: Int, credentials: String? = nil) -> String {
        "/live/\(credentials ?? env.credentialsPath)/\(channel).m3u8"
    }

    /// Waits (bounded, polling) until `condition` holds; returns whether it did.
    func eventually(within limit: Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return await condition()
    }

    @Test func theRewrittenPlaylistHidesTheProviderAndPassesItsSegmentsByteForByte() async throws {
        try await TestEnvironment.with { env in
            // UK: BBC One HD: alpha (priority 10) answers its media playlist directly, with absolute segment URLs.
            let reply = try await env.request(playlistPath(env, 3001))
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.headers.first(name: "Content-Type") == "application/vnd.apple.mpegurl")
            #expect(reply.headers.first(name: "Cache-Control") == "no-cache")
            let text = reply.text
            #expect(text.hasPrefix("#EXTM3U") && text.contains("#EXT-X-TARGETDURATION:2"))
            for secret in ["127.0.0.1:\(env.provider.port)", "alpha", FixtureAccount.alphaPassword,
                           FixtureProvider.percentEncode(FixtureAccount.alphaPassword), "hlsr", "/live/"] {
                #expect(!text.contains(secret), "the client must not see \(secret)")
            }
            let uris = Self.uris(text)
            #expect(uris.count == 5, "the provider's window of five segments")
            #expect(uris.allSatisfy { $0.hasPrefix("/hls/") && $0.hasSuffix(".ts") }, "\(uris)")
            #expect(Set(uris).count == uris.count, "one token per segment")
            let first = try #require(Self.mediaSequence(text))
            let segment = try await env.request(uris[0])
            #expect(segment.status == 200)
            #expect(segment.headers.first(name: "Content-Type") == "video/mp2t")
            #expect(segment.body == FixtureHLS.segment(first), "the provider's segment, byte for byte")
            #expect(env.provider.hlsSegmentFetches(username: "beta", channel: 7001).isEmpty, "beta was not needed")
            let sent = env.provider.stats(for: "alpha").streamRequests.filter { $0.kind == "hls" }
            #expect(sent.count == 2 && sent.allSatisfy { $0.status == 200 })
        }
    }

    @Test func theShortFormAnswersThePlaylistToo() async throws {
        try await TestEnvironment.with { env in
            // Playlists and apps that were given `/U/P/ID.m3u8`, which panels answer like `/live/U/P/ID.m3u8`.
            let reply = try await env.request("/\(env.credentialsPath)/3001.m3u8")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.headers.first(name: "Content-Type") == "application/vnd.apple.mpegurl")
            let segments = Self.uris(reply.text)
            #expect(Self.mediaSequence(reply.text) != nil && !segments.isEmpty && segments.allSatisfy { $0.hasPrefix("/hls/") }, "\(reply.text)")
        }
    }

    @Test func twoViewersOfOneChannelCostOneUpstreamFetchPerSegment() async throws {
        try await TestEnvironment.with { env in
            try await env.store.addUser(User(username: "kitchen", password: "tv", maxConnections: 1))
            var living = Player(env: env, playlist: playlistPath(env, 3001))
            var kitchen = Player(env: env, playlist: playlistPath(env, 3001, credentials: "kitchen/tv"))
            // Both poll as players do, about twice a segment, for three segment durations or more.
            let until = ContinuousClock.now + .seconds(FixtureHLS.segmentSeconds * 3)
            var rounds = 0
            while ContinuousClock.now < until || rounds < 4 {
                let (before1, before2) = (living, kitchen)
                async let a = Self.polled(before1)
                async let b = Self.polled(before2)
                (living, kitchen) = (try await a, try await b)
                rounds += 1
                try await Task.sleep(for: .milliseconds(1000))
            }
            let fetches = env.provider.hlsSegmentFetches(username: "alpha", channel: 3001)
            let seen = Set(living.segments.keys).union(kitchen.segments.keys)
            #expect(seen.count >= 6, "the window moved on while they watched: \(seen.sorted())")
            #expect(Set(fetches.keys) == seen, "every segment a viewer got came from the provider")
            #expect(fetches.values.allSatisfy { $0 == 1 }, "one upstream fetch per segment for two viewers: \(fetches)")
            for (sequence, bytes) in living.segments.merging(kitchen.segments, uniquingKeysWith: { a, _ in a }) {
                #expect(bytes == FixtureHLS.segment(sequence), "segment \(sequence)")
            }
            let alpha = await env.services.slots.snapshot().accounts.first { $0.name == "alpha" }
            #expect(alpha?.load == 1, "two viewings of one channel: one provider connection")
        }
    }

    @Test func aMasterPlaylistLeadsToItsVariantAndItsSegments() async throws {
        try await TestEnvironment.with { env in
            // UK: BBC One FHD: alpha answers a master playlist with one relative variant.
            let master = try await env.request(playlistPath(env, 3002))
            #expect(master.status == 200, "\(master.text)")
            #expect(master.text.contains("#EXT-X-STREAM-INF:BANDWIDTH="))
            let variants = Self.uris(master.text)
            #expect(variants.count == 1 && variants[0].hasPrefix("/hls/") && variants[0].hasSuffix(".m3u8"), "\(variants)")
            let media = try await env.request(variants[0])
            #expect(media.status == 200 && media.headers.first(name: "Content-Type") == "application/vnd.apple.mpegurl")
            #expect(!media.text.contains("index.m3u8") && !media.text.contains("alpha"))
            let segments = Self.uris(media.text)
            let first = try #require(Self.mediaSequence(media.text))
            let last = try await env.request(try #require(segments.last))
            #expect(last.status == 200)
            #expect(last.body == FixtureHLS.segment(first + segments.count - 1))
            #expect(env.provider.hlsPlaylistFetches(username: "alpha", channel: 3002) == 2, "master, then variant")
            #expect(try await env.request(variants[0], method: .HEAD).status == 200)
        }
    }

    @Test func badRequestsGetAStatusAndASentence() async throws {
        try await TestEnvironment.with { env in
            let unknown = try await env.request("/hls/notatoken.ts")
            #expect(unknown.status == 404 && unknown.text.contains("open the channel again"))
            #expect(try await env.request("/hls/").status == 404)
            #expect(try await env.request(playlistPath(env, 3001, credentials: "family/wrong")).status == 401)
            let missing = try await env.request(playlistPath(env, 999_999))
            #expect(missing.status == 404 && missing.text.contains("no channel with id 999999"))
            #expect(try await env.request(playlistPath(env, 3001), method: .HEAD).status == 200)
            #expect(env.services.hls.count == 0, "a HEAD opens no viewing")
        }
    }

    @Test func theViewingHoldsItsSlotWhileFetchingAndEndsByItselfAfter() async throws {
        try await TestEnvironment.with { env in
            var player = Player(env: env, playlist: playlistPath(env, 3003))
            let watchUntil = ContinuousClock.now + .seconds(FixtureHLS.segmentSeconds * 2.5)
            while ContinuousClock.now < watchUntil {
                try await player.poll()
                let snapshot = await env.services.slots.snapshot()
                let live = snapshot.slots.filter { $0.viewer.kind == .hls }
                #expect(live.count == 1 && live.first?.inFlight == 1 && live.first?.lingering == false,
                        "the viewing holds its slot between fetches: \(live)")
                #expect(snapshot.accounts.first { $0.name == "alpha" }?.load == 1)
                try await Task.sleep(for: .milliseconds(700))
            }
            #expect(env.services.hls.count == 1)
            // The player stops: after three target durations without a request the viewing ends, then the
            // slot's live linger runs out.
            #expect(await eventually { await env.services.slots.snapshot().slots.isEmpty }, "the slot ended by itself")
            #expect(env.services.hls.count == 0)
            let again = try await env.request(playlistPath(env, 3003))
            #expect(again.status == 200, "opening the channel again starts a new viewing")
            #expect(try await env.request(try #require(Self.uris(again.text).first)).status == 200)
        }
    }

    @Test func anotherChannelOnAFullAccountIs503AndTheSameDeviceZapsToIt() async throws {
        try await TestEnvironment.with { env in
            try await env.store.addUser(User(username: "kitchen", password: "tv", maxConnections: 1))
            // Channel 4 and BBC One FHD are alpha's only (one connection).
            let watching = try await env.request(playlistPath(env, 3003))
            #expect(watching.status == 200, "\(watching.text)")
            let oldSegment = try #require(Self.uris(watching.text).last)
            let refused = try await env.request(playlistPath(env, 3002, credentials: "kitchen/tv"))
            #expect(refused.status == 503, "\(refused.text)")
            #expect(refused.headers.first(name: "Retry-After") != nil)
            #expect(refused.text.contains("All provider connections"))
            // The living-room TV itself opens BBC One FHD: it left Channel 4, which ends at once.
            let zapped = try await env.request(playlistPath(env, 3002))
            #expect(zapped.status == 200, "\(zapped.text)")
            let slots = await env.services.slots.snapshot().slots.filter { !$0.lingering }
            #expect(slots.count == 1)
            #expect(env.services.hls.count == 1)
            #expect(try await env.request(oldSegment).status == 404, "the links of the channel it left ended with it")
        }
    }

    @Test func aFilmOnTheSameDeviceEndsItsHLSViewingOnAFullAccount() async throws {
        try await TestEnvironment.with { env in
            #expect(try await env.request(playlistPath(env, 3003)).status == 200)
            #expect(env.services.hls.count == 1)
            // The Matrix (EN) is alpha's only, and alpha's one connection carries Channel 4.
            let film = try await env.request("/movie/\(env.credentialsPath)/10001.mkv", headers: [("Range", "bytes=0-0")])
            #expect(film.status == 206, "the device left the channel for the film: \(film.text)")
            #expect(env.services.hls.count == 0)
        }
    }

    @Test func aProviderFailingASegmentIsA502AndItsCredentialsStayOutOfTheLog() async throws {
        let logs = SlotLogCapture()
        try await TestEnvironment.with(logger: logs.logger) { env in
            let playlist = try await env.request(playlistPath(env, 3001))
            #expect(playlist.status == 200)
            // The provider starts refusing: the segment's upstream URL (/hlsr/alpha/PASSWORD/…) is logged.
            env.provider.setFaults(FixtureFaults(streamStatus: 503), for: "alpha")
            let failed = try await env.request(try #require(Self.uris(playlist.text).last))
            #expect(failed.status == 502 && failed.text.contains("did not deliver a segment"), "\(failed.text)")
            #expect(env.provider.stats(for: "alpha").streamRequests.last?.status == 503, "the provider was asked")
            #expect(!logs.lines(containing: "[live] HLS viewing of channel 3001 started on alpha").isEmpty)
            #expect(!logs.lines(containing: "answered 503").isEmpty, "\(logs.all)")
            for secret in [FixtureAccount.alphaPassword, FixtureProvider.percentEncode(FixtureAccount.alphaPassword),
                           PlaylistController.pathEncode(FixtureAccount.alphaPassword), "a%2Bb"] {
                #expect(logs.lines(containing: secret).isEmpty, "\(logs.lines(containing: secret))")
            }
        }
    }

    @Test func ffmpegPlaysAChannelThroughXcserver() async throws {
        let tools = try await ExternalTool.ffmpeg()
        try await TestEnvironment.with { env in
            // The master path: master, variant, then segments, all through xcserver.
            let url = env.baseURL + playlistPath(env, 3002)
            let run = try await ExternalTool.run(tools.ffmpeg, ["-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1",
                                                                "-i", url, "-t", "4", "-f", "null", "-"], timeout: .seconds(120))
            #expect(run.succeeded, "\(run.stderrTail)")
            let frames = run.stdout.split(whereSeparator: \.isNewline).compactMap { line -> Int? in
                line.hasPrefix("frame=") ? Int(line.dropFirst("frame=".count).trimmingCharacters(in: .whitespaces)) : nil
            }.max() ?? 0
            #expect(frames >= 30, "4 s at 10 frames a second, got \(frames): \(run.stderrTail)")
            #expect(env.provider.hlsSegmentFetches(username: "alpha", channel: 3002).values.reduce(0, +) >= 2)
        }
    }
}
