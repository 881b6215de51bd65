import AsyncHTTPClient
import FixtureProvider
import Foundation
import Sync
import Testing
@testable import XCServerKit

/// The `xcserver` users install carries the demo's provider but none of the test fixture (issue 9), and a
/// copy of it runs `demo` from anywhere. Builds nothing: it reads and runs the `xcserver` built beside
/// the test bundle (`swift build --build-tests` makes both).
@Suite struct InstalledBinaryTests {
    /// Swift keeps every type's mangled name in the binary (type metadata, symbols, debug info), so the
    /// bytes tell which modules and types were linked in.
    @Test func theBinaryHoldsTheDemoProviderAndNothingOfTheTestFixture() throws {
        let binary = try Data(contentsOf: URL(fileURLWithPath: try SyncCommandTests.executable()), options: .alwaysMapped)
        func contains(_ text: String) -> Bool { binary.range(of: Data(text.utf8)) != nil }

        // The demo's provider is in (so the check can see module and type names at all).
        #expect(contains("12DemoProvider"), "no DemoProvider symbol in the xcserver binary")
        #expect(contains("DemoPanel") && contains("ProviderResponder") && contains("LiveBroadcast"))
        // The test fixture is not: its module and its test-only types.
        for name in ["15FixtureProvider", "FixtureFaults", "FixtureStats", "FixtureStreamRequest", "FixtureSocketLimit",
                     "GeneratedCatalogLayout", "MediaBytes", "FixtureHLSBook", "timeshiftBytes"] {
            #expect(!contains(name), "the xcserver binary carries \(name), a part of the test fixture provider")
        }
    }

    @Test func aCopiedBinaryRunsTheDemoFromAnotherDirectory() async throws {
        try await ServedBinary.demoFromACopy { server in
            let api = "/player_api.php?username=\(DemoLogin.username)&password=\(DemoLogin.password)"
            #expect(try await server.json(api)["user_info"]["auth"].int == 1)
            var movies: [ProviderValue] = []
            var channels: [ProviderValue] = []
            for _ in 0..<600 where movies.isEmpty || channels.isEmpty {
                movies = try await server.json(api + "&action=get_vod_streams").items
                channels = try await server.json(api + "&action=get_live_streams").items
                if movies.isEmpty || channels.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }

            // A film's first bytes are one of the embedded samples' (EBML for Matroska, `ftyp` for MP4).
            let movie = try #require(movies.first { $0["container_extension"].string == "mkv" }, "no mkv film in the demo: \(server.child.errors)")
            let film = try await server.get("/movie/\(DemoLogin.username)/\(DemoLogin.password)/\(movie["stream_id"].int ?? -1).mkv",
                                            headers: [("Range", "bytes=0-1023")])
            #expect(film.status == 206 && film.body.count == 1024, "film: \(film.status), \(film.body.count) bytes")
            #expect(film.body.prefix(4) == [0x1A, 0x45, 0xDF, 0xA3], "the film is not the embedded Matroska sample")

            // A live channel streams MPEG-TS packets.
            let channel = try #require(channels.first?["stream_id"].int)
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: server.base + "/live/\(DemoLogin.username)/\(DemoLogin.password)/\(channel).ts"), timeout: .seconds(30))
            #expect(response.status.code == 200)
            var bytes: [UInt8] = []
            for try await chunk in response.body {
                bytes += chunk.readableBytesView
                if bytes.count >= 188 * 20 { break }
            }
            #expect(bytes.count >= 188 * 20 && stride(from: 0, to: 188 * 20, by: 188).allSatisfy { bytes[$0] == 0x47 },
                    "channel \(channel): \(bytes.count) bytes, not TS packets")

            #expect(try await server.stop() == 0, "demo did not stop cleanly: \(server.child.errors)")
        }
    }
}
