import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import NIOHTTP1
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `xcserver demo`, the README's first command, as the built binary: it prints a working login and
/// admin token, its start-up sync is a job the admin API lists, and a film plays from its demo provider.
@Suite struct DemoCommandTests {
    /// `xcserver demo` on a free loopback port with its database in `directory`, once it printed its
    /// banner, and the admin token it printed. The caller terminates the child.
    static func start(in directory: URL, timeout: Duration = .seconds(30)) async throws -> (child: SyncCommandTests.Child, port: Int, token: String) {
        try await ServedBinary.onAFreePort { port in
            let child = try SyncCommandTests.Child(
                ["demo", "--host", "127.0.0.1", "--port", String(port), "--db", directory.appendingPathComponent("demo.sqlite").path],
                in: directory)
            do {
                try await child.waitForOutput("Ctrl-C stops", timeout: timeout)
                let token = try #require(child.output.split(separator: "\n").first { $0.contains("Admin API token:") }?
                    .split(separator: " ").last.map(String.init), "no token in:\n\(child.output)")
                return (child, port, token)
            } catch {
                if child.process.isRunning { child.process.terminate() }
                _ = try? await child.wait(timeout: .seconds(20))
                try ServedBinary.PortTaken.check(child)
                throw error
            }
        }
    }

    @Test func theDemoPrintsALoginThatWorks() async throws {
        let directory = try FirstHourTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (child, port, token) = try await Self.start(in: directory)
        defer { if child.process.isRunning { child.process.terminate() } }
        let output = child.output
        #expect(output.contains("server:   http://127.0.0.1:\(port)"), "\(output)")
        #expect(output.contains("username: \(DemoLogin.username)") && output.contains("password: \(DemoLogin.password)"))

        let base = "http://127.0.0.1:\(port)"
        func get(_ path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: [UInt8]) {
            var request = HTTPClientRequest(url: base + path)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            // No retry: the banner is printed once the listener is bound.
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), Array(try await response.body.collect(upTo: 16 << 20).readableBytesView))
        }
        func json(_ path: String, headers: [(String, String)] = []) async throws -> ProviderValue {
            try JSONDecoder().decode(ProviderValue.self, from: Data(try await get(path, headers: headers).body))
        }

        let api = "/player_api.php?username=\(DemoLogin.username)&password=\(DemoLogin.password)"
        #expect(try await json(api)["user_info"]["auth"].int == 1)
        let movies = try await json(api + "&action=get_vod_streams")
        #expect(movies.streamIDs.contains(10007), "\(movies.items.count) movies")

        let jobs = try await json("/api/sync/jobs", headers: [("Authorization", "Bearer \(token)")])["jobs"]
        #expect(jobs.items.count == 1, "the start-up sync is listed as a job")
        #expect(jobs.items.first?["trigger"].string == "cli")
        #expect(jobs.items.first?["phase"].string == "done")

        let film = try await get("/movie/\(DemoLogin.username)/\(DemoLogin.password)/10007.mkv", headers: [("Range", "bytes=0-1023")])
        #expect(film.status == 206)
        #expect(film.body == FixtureProvider.expectedBytes(account: try .alpha(media: .playable), streamID: 10007, range: 0..<1024))

        child.process.terminate()
        #expect(try await child.wait(timeout: .seconds(20)) == 0, "\(child.errors)")
    }
}
