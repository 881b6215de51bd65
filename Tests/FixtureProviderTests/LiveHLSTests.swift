import Foundation
import Testing

@testable import FixtureProvider

/// The fixture's HLS channels as a panel serves them: a master playlist for some channels and the media
/// playlist directly for others, a window that moves on with wall time, segments of real TS carrying the
/// account's credentials in their URIs, counted per segment, and refused without the right password.
@Suite struct LiveHLSTests {
    func uris(_ playlist: String) -> [String] {
        playlist.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    func mediaSequence(_ playlist: String) -> Int? {
        playlist.split(whereSeparator: \.isNewline).first { $0.hasPrefix("#EXT-X-MEDIA-SEQUENCE:") }
            .flatMap { Int($0.dropFirst("#EXT-X-MEDIA-SEQUENCE:".count)) }
    }

    func live(_ provider: FixtureProvider, _ rest: String, password: String = alphaPass) -> String {
        "\(provider.baseURL)/live/\(alphaUser)/\(FixtureProvider.percentEncode(password))/\(rest)"
    }

    @Test func aDirectMediaPlaylistListsAbsoluteSegmentsWithTheCredentials() async throws {
        try await withProvider { provider async throws in
            let playlist = try await fetch(live(provider, "3001.m3u8"))
            #expect(playlist.status == 200 && playlist.header("Content-Type") == "application/vnd.apple.mpegurl")
            #expect(playlist.text.contains("#EXT-X-TARGETDURATION:2"))
            let segments = uris(playlist.text)
            #expect(segments.count == 5)
            let prefix = "\(provider.baseURL)/hlsr/\(alphaUser)/\(FixtureProvider.percentEncode(alphaPass))/3001/"
            #expect(segments.allSatisfy { $0.hasPrefix(prefix) && $0.hasSuffix(".ts") }, "\(segments)")
            let first = try #require(mediaSequence(playlist.text))
            let segment = try await fetch(segments[0])
            #expect(segment.status == 200 && segment.header("Content-Type") == "video/mp2t")
            #expect(segment.body == FixtureHLS.segment(first))
            #expect(segment.body.count % 188 == 0 && segment.body.first == 0x47)
            #expect(provider.hlsSegmentFetches(username: alphaUser, channel: 3001) == [first: 1])
            #expect(provider.hlsPlaylistFetches(username: alphaUser, channel: 3001) == 1)
            #expect(try await fetch(segments[0], method: .HEAD).status == 200)
            #expect(provider.hlsSegmentFetches(username: alphaUser, channel: 3001) == [first: 1], "a HEAD is not a fetch")
        }
    }

    @Test func aMasterPlaylistHasOneRelativeVariantWithRelativeSegments() async throws {
        try await withProvider { provider async throws in
            let master = try await fetch(live(provider, "3002.m3u8"))
            #expect(master.status == 200 && master.text.contains("#EXT-X-STREAM-INF:BANDWIDTH=\(FixtureHLS.bitsPerSecond)"))
            #expect(uris(master.text) == ["3002/index.m3u8"])
            let media = try await fetch(live(provider, "3002/index.m3u8"))
            #expect(media.status == 200)
            let first = try #require(mediaSequence(media.text))
            #expect(uris(media.text) == (first..<first + 5).map { "\($0).ts" })
            #expect(try await fetch(live(provider, "3002/\(first + 4).ts")).body == FixtureHLS.segment(first + 4))
        }
    }

    @Test func theWindowMovesOnWithWallTime() async throws {
        try await withProvider { provider async throws in
            let before = try #require(mediaSequence(try await fetch(live(provider, "3001.m3u8")).text))
            try await Task.sleep(for: .seconds(FixtureHLS.segmentSeconds + 0.2))
            let after = try #require(mediaSequence(try await fetch(live(provider, "3001.m3u8")).text))
            #expect(after > before)
            #expect(try await fetch(live(provider, "3001/\(after + 1000).ts")).status == 404, "not yet broadcast")
            #expect(try await fetch(live(provider, "3001/\(after - 10).ts")).status == 404, "long gone")
        }
    }

    @Test func wrongCredentialsAndUnknownChannelsAreRefused() async throws {
        try await withProvider { provider async throws in
            #expect(try await fetch(live(provider, "3001.m3u8", password: "wrong")).status == 401)
            #expect(try await fetch(live(provider, "3001/5.ts", password: "wrong")).status == 401)
            #expect(try await fetch("\(provider.baseURL)/hlsr/beta/wrong/7001/5.ts").status == 401)
            #expect(try await fetch(live(provider, "7001.m3u8")).status == 404, "beta's channel, not alpha's")
            #expect(provider.stats(for: alphaUser).streamRequests.filter { $0.kind == "hls" }.map(\.status) == [401, 401, 404])
        }
    }
}
