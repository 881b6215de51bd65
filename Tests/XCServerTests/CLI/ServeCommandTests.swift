import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import NIOHTTP1
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `xcserver serve` as a user runs it: the built binary in its own process, so the production entry
/// point (SwiftNIO's event loops as the concurrency executor, which in-process tests do not use) is
/// what answers. A sync job, the XC API, the TiviMate pattern of three concurrent ranged reads and a
/// clean SIGTERM, all over real HTTP against the fixture provider.
@Suite struct ServeCommandTests {
    static let token = "serve-test-token"
    static let user = "family"
    static let password = "pw"
    static let alphaSize = 2_000_000

    @Test func theBinaryServesSyncsStreamsAndStopsCleanly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let alpha = try FixtureAccount.alpha()
        let provider = try await FixtureProvider.start(accounts: [alpha, try .beta()])
        defer { Task { await provider.stop() } }
        let dbPath = directory.appendingPathComponent("serve.sqlite").path
        _ = try await SyncCommandTests.fixtureDatabase(dbPath, provider: provider)
            .addUser(User(username: Self.user, password: Self.password, maxConnections: 2))

        let port = try await FixtureProvider.freePort()
        let child = try SyncCommandTests.Child(
            ["serve", "--db", dbPath, "--host", "127.0.0.1", "--port", String(port), "--sync-interval", "0", "--admin-token", Self.token],
            in: directory)
        defer { if child.process.isRunning { child.process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        func get(_ path: String, headers: [(String, String)] = [], method: HTTPMethod = .GET) async throws -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), response.headers, Array(body.readableBytesView))
        }
        let admin = [("Authorization", "Bearer \(Self.token)")]

        var healthy = false
        for _ in 0..<200 where !healthy {
            healthy = (try? await get("/health").status) == 200
            if !healthy { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(healthy, "serve did not answer /health: \(child.errors)")

        // A sync job over the admin API, to its end.
        let started = try await get("/api/sync", headers: admin, method: .POST)
        #expect(started.status == 202)
        let jobID = try JSONDecoder().decode(ProviderValue.self, from: Data(started.body))["job"]["id"].int ?? -1
        var phase = ""
        for _ in 0..<300 where !["done", "failed", "cancelled"].contains(phase) {
            try await Task.sleep(for: .milliseconds(50))
            let job = try await get("/api/sync/jobs/\(jobID)", headers: admin)
            phase = try JSONDecoder().decode(ProviderValue.self, from: Data(job.body))["job"]["phase"].string ?? ""
        }
        #expect(phase == "done", "\(child.errors)")

        // The XC API lists the provider's ids.
        let api = "/player_api.php?username=\(Self.user)&password=\(Self.password)"
        let movies = try JSONDecoder().decode(ProviderValue.self, from: Data(try await get(api + "&action=get_vod_streams").body))
        #expect(movies.streamIDs.contains(10001), "\(movies.items.count) movies")

        // TiviMate's opening pattern: three ranged reads of one film at once, one provider connection.
        provider.resetStats()
        let path = "/movie/\(Self.user)/\(Self.password)/10001.mkv"
        let ranges: [Int?] = [nil, 1_900_000, 500_000]
        let replies = try await withThrowingTaskGroup(of: (Int?, Int, [UInt8]).self) { group in
            for start in ranges {
                group.addTask {
                    let reply = try await get(path, headers: start.map { [("Range", "bytes=\($0)-")] } ?? [])
                    return (start, reply.status, reply.body)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (start, status, body) in replies {
            #expect(status == (start == nil ? 200 : 206))
            let expected = FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: (start ?? 0)..<Self.alphaSize)
            #expect(body.count == expected.count && body == expected, "range from \(start ?? 0): \(body.count) bytes")
        }
        #expect(provider.stats(for: "alpha").maxOpenTitles == 1)
        #expect(provider.stats(for: "beta").streamRequests.isEmpty, "one viewing stays on one account")
        let head = try await get(path, method: .HEAD)
        #expect(head.status == 200 && head.body.isEmpty && head.headers.first(name: "Content-Length") == String(Self.alphaSize))

        // SIGTERM: a clean exit, promptly.
        child.process.terminate()
        #expect(try await child.wait(timeout: .seconds(20)) == 0, "\(child.errors)")
    }
}
