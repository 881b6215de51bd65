import Foundation
import Testing
@testable import XCServerKit

/// Playlist rewriting and the token table (docs/live-streaming.md, "HLS"): no provider URL or credential
/// survives, relative URIs resolve against the playlist's URL, tokens expire and stay bounded.
@Suite struct HLSPlaylistTests {
    static let base = URL(string: "http://provider.example:8080/live/alice/s3cret/1001.m3u8?token=abc")!

    static func rewrite(_ text: String) throws -> (String, [(URL, HLSPlaylist.Link)]) {
        var links: [(URL, HLSPlaylist.Link)] = []
        let out = try HLSPlaylist.rewrite(text, base: base) { url, kind in
            links.append((url, kind))
            return "/hls/T\(links.count)\(kind == .playlist ? ".m3u8" : ".ts")"
        }
        return (out, links)
    }

    @Test func aMediaPlaylistsSegmentsAndKeysPointAtXcserver() throws {
        let playlist = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:4
        #EXT-X-MEDIA-SEQUENCE:812
        #EXT-X-KEY:METHOD=AES-128,URI="key.bin?k=1",IV=0x1234
        #EXTINF:4.0,
        /hls/alice/s3cret/1001_812.ts
        #EXTINF:4.0,
        1001_813.ts
        #EXTINF:4.0,
        http://cdn.example/seg/814.ts?auth=s3cret
        """
        let (out, links) = try Self.rewrite(playlist)
        #expect(!out.contains("s3cret") && !out.contains("alice") && !out.contains("example"))
        #expect(links.map(\.0.absoluteString) == [
            "http://provider.example:8080/live/alice/s3cret/key.bin?k=1",
            "http://provider.example:8080/hls/alice/s3cret/1001_812.ts",
            "http://provider.example:8080/live/alice/s3cret/1001_813.ts",
            "http://cdn.example/seg/814.ts?auth=s3cret",
        ])
        #expect(links.allSatisfy { $0.1 == .segment })
        #expect(out.contains("#EXT-X-KEY:METHOD=AES-128,URI=\"/hls/T1.ts\",IV=0x1234"))
        #expect(out.contains("#EXT-X-MEDIA-SEQUENCE:812"), "tags other than URIs pass unchanged")
    }

    @Test func aMasterPlaylistsVariantsAndRenditionsArePlaylists() throws {
        let playlist = """
        #EXTM3U
        #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="FR",URI="audio/fr.m3u8"
        #EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360
        low/index.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=3000000
        high?variant=2
        """
        let (out, links) = try Self.rewrite(playlist)
        #expect(links.map(\.1) == [.playlist, .playlist, .playlist])
        #expect(links[2].0.absoluteString == "http://provider.example:8080/live/alice/s3cret/high?variant=2")
        #expect(!out.contains("s3cret"))
    }

    @Test func somethingThatIsNotAPlaylistIsRefused() {
        #expect(throws: HLSPlaylist.ParseError.notAPlaylist) { try Self.rewrite("<html>Forbidden</html>") }
    }

    @Test func tokensAreStablePerTargetExpireAndStayBounded() {
        let start = ContinuousClock.now
        var tokens = HLSTokens<String>(ttl: .seconds(30), capacity: 3)
        var serial = 0
        func make() -> String { serial += 1; return "t\(serial)" }
        let a = tokens.issue("seg-a", now: start, make: make)
        #expect(tokens.issue("seg-a", now: start + .seconds(1), make: make) == a, "one token per target")
        #expect(tokens.resolve(a, now: start + .seconds(20)) == "seg-a")
        #expect(tokens.resolve(a, now: start + .seconds(49)) == "seg-a", "a use keeps it alive")
        #expect(tokens.resolve(a, now: start + .seconds(80)) == nil, "expired after the ttl without use")
        #expect(tokens.resolve("forged", now: start) == nil)
        for name in ["b", "c", "d", "e"] { _ = tokens.issue(name, now: start + .seconds(100), make: make) }
        #expect(tokens.entries.count == 3, "bounded: the least recently used go first")
        #expect(HLSTokens<String>.randomToken().count == 22)
        #expect(HLSTokens<String>.randomToken() != HLSTokens<String>.randomToken())
    }
}
