import FixtureProvider
import Foundation
import GRDB
import Sync
import Testing
@testable import XCModels
@testable import XCServerKit

/// A series of one account that lists one season and number twice (a 4K and an HD copy of S01E01, an
/// upload listed again under another stream id) keeps both reachable: two episodes under their own
/// stable ids, each streaming its own file (docs/variants.md, "Episodes"). Over real HTTP against the
/// fixture provider: alpha's Chernobyl (503) gets a second S01E01, stream id 11299.
@Suite struct EpisodeCopiesTests {
    static let second = 11299

    /// alpha's `series_info/503.json` with a 4K copy of S01E01 listed after the first one.
    static func addSecondCopy(_ env: TestEnvironment) throws {
        try env.provider.editFile("alpha", file: "series_info/503.json") { info in
            guard case .object(var fields) = info, case .object(var seasons)? = fields["episodes"],
                  case .array(var first)? = seasons["1"], case .object(var copy)? = first.first else { return info }
            copy["id"] = .string(String(second))
            copy["title"] = .string("Chernobyl - S01E01 - 1:23:45 4K")
            first.insert(.object(copy), at: 1)
            seasons["1"] = .array(first)
            fields["episodes"] = .object(seasons)
            return .object(fields)
        }
    }

    func seasonOne(_ env: TestEnvironment) async throws -> [(id: Int, number: Int, title: String)] {
        let info = try await env.api("action=get_series_info&series_id=503")
        return (info["episodes"]["1"].array ?? []).map { ($0["id"].int ?? -1, $0["episode_num"].int ?? -1, $0["title"].string ?? "") }
    }

    func episodePath(_ id: Int) -> String {
        "/series/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/\(id).mkv"
    }

    /// Whether episode `id` streams alpha's file `id` (the first 4 KiB, byte for byte).
    func streamsItsOwnFile(_ env: TestEnvironment, _ id: Int) async throws -> Bool {
        let reply = try await env.request(episodePath(id), headers: [("Range", "bytes=0-4095")])
        let expected = FixtureProvider.expectedBytes(account: try FixtureAccount.alpha(), streamID: id, range: 0..<4096)
        return reply.status == 206 && reply.body == expected
    }

    @Test func twoCopiesOfOneNumberOnOneAccountAreTwoEpisodesEachStreamingItsOwnFile() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            try Self.addSecondCopy(env)
            #expect(!(try await env.services.sync.run()).failed)
            let episodes = try await seasonOne(env)
            let firsts = episodes.filter { $0.number == 1 }
            #expect(firsts.map(\.id).sorted() == [11201, Self.second], "both copies listed, each under its own id: \(episodes)")
            #expect(firsts.first { $0.id == Self.second }?.title == "Chernobyl - S01E01 - 1:23:45 4K")
            #expect(episodes.count == 5, "E1 twice, E2, E4, E5: \(episodes)")
            let check1 = try await streamsItsOwnFile(env, 11201)
            let check2 = try await streamsItsOwnFile(env, Self.second)
            #expect(check1 && check2, "each copy streams its own bytes")

            // A second sync moves nothing: the ids stay on their files.
            #expect(!(try await env.services.sync.run()).failed)
            #expect(try await seasonOne(env).filter { $0.number == 1 }.map(\.id).sorted() == [11201, Self.second])

            // The `best` view keeps the copy asked for: the other copy of that number is another file.
            _ = try await env.callJSON("/api/users/\(TestEnvironment.userName)", .PATCH, json: #"{"variants": "best"}"#)
            let check3 = try await streamsItsOwnFile(env, 11201)
            let check4 = try await streamsItsOwnFile(env, Self.second)
            #expect(check3 && check4, "in the best view too")
        }
    }

    @Test func anUploadListedAgainUnderANewIdKeepsItsEpisode() async throws {
        try await TestEnvironment.with { env in
            #expect(try await seasonOne(env).first { $0.number == 2 }?.id == 11202)
            // The provider replaces S01E02's stream id 11202 by 11292 (and says the series changed).
            try env.provider.editFiles("alpha", [
                "series_info/503.json": { info in
                    guard case .object(var fields) = info, case .object(var seasons)? = fields["episodes"],
                          case .array(var first)? = seasons["1"] else { return info }
                    first = first.map { item in
                        guard case .object(var copy) = item, copy["episode_num"]?.int == 2 else { return item }
                        copy["id"] = .string("11292")
                        return .object(copy)
                    }
                    seasons["1"] = .array(first)
                    fields["episodes"] = .object(seasons)
                    return .object(fields)
                },
                "get_series.json": { list in
                    .array((list.array ?? []).map { item in
                        guard case .object(var fields) = item, fields["series_id"]?.int == 503 else { return item }
                        fields["last_modified"] = .string("1700009503")
                        return .object(fields)
                    })
                },
            ])
            #expect(!(try await env.services.sync.run()).failed)
            let episodes = try await seasonOne(env)
            #expect(episodes.filter { $0.number == 2 }.map(\.id) == [11202], "one E2, under the id clients hold: \(episodes)")
            let reply = try await env.request(episodePath(11202), headers: [("Range", "bytes=0-4095")])
            let upload = FixtureProvider.expectedBytes(account: try FixtureAccount.alpha(), streamID: 11292, range: 0..<4096)
            #expect(reply.status == 206 && reply.body == upload, "and it plays the new upload: \(reply.status) \(reply.text.prefix(300))")
        }
    }

    /// A database an earlier xcserver wrote, where alpha's two copies of S01E01 sat in one episode (and
    /// beta's copy of it too): the migration gives the second copy an episode of its own, under its
    /// stream id, and leaves the served copy and the other account's copy where they were.
    @Test func theMigrationSplitsCopiesAnEarlierVersionFolded() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("folded-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let old = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(old, upTo: "v7 user hide adult")
            try await old.write { db in
                try db.execute(sql: """
                    INSERT INTO account (id, name, base_url, username, password, max_connections, priority, created_at)
                    VALUES (1, 'alpha', 'http://127.0.0.1:1', 'a', 'a', 1, 10, 0), (2, 'beta', 'http://127.0.0.1:2', 'b', 'b', 2, 5, 0);
                    INSERT INTO series (id, public_id, tmdb, name_key) VALUES (1, 503, '87108', 'chernobyl');
                    INSERT INTO episode (id, public_id, series_id, season, episode_num) VALUES (1, 11201, 1, 1, 1);
                    """)
                for (id, account, provider) in [(1, 1, 503), (2, 2, 603)] {
                    try db.execute(sql: """
                        INSERT INTO series_relation (id, series_id, account_id, provider_series_id, name, cover, plot, "cast", director,
                          genre, release_date, last_modified, rating, rating_5based, youtube_trailer, tmdb, episode_run_time, extra,
                          content_hash, first_seen, last_seen)
                        VALUES (?, 1, ?, ?, 'Chernobyl', '', '', '', '', '', '', '', '', 0, '', '', '', '{}', 0, 0, 0)
                        """, arguments: [id, account, provider])
                }
                for (account, seriesRelation, stream) in [(1, 1, 11201), (1, 1, Self.second), (2, 2, 21201)] {
                    try db.execute(sql: """
                        INSERT INTO episode_relation (episode_id, account_id, series_relation_id, stream_id, container_extension, title,
                          added, custom_sid, direct_source, extra, content_hash, first_seen, last_seen)
                        VALUES (1, ?, ?, ?, 'mkv', '', '', '', '', '{}', 0, 0, 0)
                        """, arguments: [account, seriesRelation, stream])
                }
                try Store.recomputePreferredRelations(db)
            }
            try old.close()
        }
        let store = try Store(path: path)
        let episodes = try await store.testRead { db in
            try Row.fetchAll(db, sql: """
                SELECT e.public_id AS public_id, e.season AS season, e.episode_num AS number, group_concat(r.stream_id) AS streams
                FROM episode e JOIN episode_relation r ON r.episode_id = e.id GROUP BY e.id ORDER BY e.public_id
                """).map { "\($0["public_id"] as Int) S\($0["season"] as Int)E\($0["number"] as Int): \($0["streams"] as String)" }
        }
        #expect(episodes.count == 2 && episodes.last == "11299 S1E1: 11299", "\(episodes)")
        #expect(episodes.first.map { $0.hasPrefix("11201 S1E1: ") && Set($0.dropFirst(12).split(separator: ",")) == ["11201", "21201"] } == true,
                "the served copy and beta's copy keep 11201: \(episodes)")
    }
}
