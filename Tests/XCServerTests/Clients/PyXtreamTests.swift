import FixtureProvider
import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// pyxtream, a client library that converts fields the way strict apps do (`int(exp_date)`, `int(added)`,
/// `int(category_id)`, `int(is_adult)`), against a real `xcserver serve` whose catalog is both fixture
/// accounts with every messy shape they hold (`added: false`, `category_id: null`, ids as strings, ...).
/// pyxtream 0.8.0 is installed from PyPI when missing (see `ExternalTool.pyxtream()`).
@Suite struct PyXtreamTests {
    static let user = "family"
    static let password = "pw"

    @Test func pyxtreamLogsInLoadsTheWholeCatalogAndFetchesStreams() async throws {
        let tool = try await ExternalTool.pyxtream()
        try await ServedBinary.servingTheFixtures(user: Self.user, password: Self.password) { server, directory in
            let cache = directory.appendingPathComponent("pyxtream-cache")
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            let resultPath = directory.appendingPathComponent("result.json").path
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("pyxtream_client.py").path
            // The Matrix and Breaking Bad S01E01: alpha's ids, the ones clients see; beta holds both too (20001, 21001).
            let movieID = 10001, episodeID = 11001
            let run = try await ExternalTool.run(
                tool.python, [script, server.base, Self.user, Self.password, cache.path, resultPath, String(movieID), String(episodeID)],
                timeout: .seconds(300), environment: tool.environment)
            try #require(run.succeeded, "pyxtream failed (status \(run.status), timed out \(run.timedOut)):\n\(run.stderrTail)\n\(run.stdout.suffix(3000))")
            let result = try ProviderValue.parse(String(contentsOfFile: resultPath, encoding: .utf8))
            // pyxtream reports some problems only as printed lines (and carries on without the item).
            let complaints = run.stdout.split(separator: "\n").filter { line in
                ["Could not", "Bad URL", "not found", "rror", "Unrecognized", "unknown stream type"].contains { line.contains($0) }
            }
            #expect(complaints.isEmpty, "pyxtream complained:\n\(complaints.joined(separator: "\n"))")

            // The login: a far-future expiry for a login without one.
            let days = try #require(result["expires_in_days"].int)
            #expect(days > 365 * 5, "a login without expiry must read as far in the future, got \(days) days")

            // The whole catalog, every item as xcserver lists it, with the numbers pyxtream converted.
            let api = "/player_api.php?username=\(Self.user)&password=\(Self.password)"
            let movies = try await server.json(api + "&action=get_vod_streams").items
            #expect(movies.count == 24, "the fixture catalog has 24 movie entries")
            let seen = Dictionary(result["movies"].items.map { ($0["id"].int ?? -1, $0) }) { first, _ in first }
            #expect(Set(seen.keys) == Set(movies.compactMap { $0["stream_id"].int }), "pyxtream's movies: \(seen.keys.sorted())")
            for movie in movies {
                let id = movie["stream_id"].int ?? -1
                #expect(seen[id]?["added"].int == Int(movie["added"].string ?? ""), "added of movie \(id)")
                #expect(seen[id]?["group_id"].int == Int(movie["category_id"].string ?? ""), "category of movie \(id)")
            }
            let series = try await server.json(api + "&action=get_series").items.compactMap { $0["series_id"].int }
            #expect(Set(result["series"].items.compactMap(\.int)) == Set(series))
            var episodes = Set<String>()
            for id in series {
                for (_, list) in try await server.json(api + "&action=get_series_info&series_id=\(id)")["episodes"].object ?? [:] {
                    for episode in list.items { episodes.insert(episode["id"].string ?? "") }
                }
            }
            #expect(episodes.count == 19, "the fixture catalog has 19 episodes")
            #expect(Set(result["episodes"].items.compactMap { $0["id"].string }) == episodes)

            // Stream URLs pyxtream built itself lead to the right files.
            let alpha = try FixtureAccount.alpha(), beta = try FixtureAccount.beta()
            for (key, kind, id, betaID) in [("movie_bytes", "movie", movieID, 20001), ("episode_bytes", "series", episodeID, 21001)] {
                let fetched = result[key]
                #expect(fetched["url"].string == "\(server.base)/\(kind)/\(Self.user)/\(Self.password)/\(id).mkv")
                #expect(fetched["status"].int == 206, "\(key): \(fetched)")
                // Alpha streams it unless the login's previous viewing still holds alpha's one connection; then beta's copy.
                let copies = [(alpha, id), (beta, betaID)].map { account, streamID in
                    FixtureProvider.expectedBytes(account: account, streamID: streamID, range: 0..<1024).map { String(format: "%02x", $0) }.joined()
                }
                let known = copies.contains(fetched["hex"].string ?? "")
                #expect(known, "\(key): \((fetched["hex"].string ?? "nothing").prefix(32))…, the first bytes of neither alpha's \(id) nor beta's \(betaID)")
            }
            #expect(try await server.stop() == 0, "\(server.child.errors)")
        }
    }
}
