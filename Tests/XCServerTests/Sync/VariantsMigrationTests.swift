import Foundation
import GRDB
import Testing
@testable import XCModels

/// Migration "v4 variant entries" of a database an earlier xcserver wrote, where every copy of a title sat in
/// one row: the copies split into entries, no relation is lost and every public id stays on its file.
@Suite struct VariantsMigrationTests {
    /// A v3 database (the schema before entries) holding what the old importer made of alpha and beta.
    static func oldDatabase() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("old-\(UUID().uuidString).sqlite").path
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "v3 category title counts")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO account (id, name, base_url, username, password, max_connections, priority, created_at)
                VALUES (1, 'alpha', 'http://127.0.0.1:1', 'a', 'a', 1, 10, 0), (2, 'beta', 'http://127.0.0.1:2', 'b', 'b', 2, 5, 0);
                INSERT INTO movie (id, public_id, tmdb, name_key, year) VALUES (1, 10003, '157336', 'interstellar', NULL),
                    (2, 10001, '603', 'the matrix', 1999), (3, 10002, '27205', 'inception', NULL);
                INSERT INTO series (id, public_id, tmdb, name_key) VALUES (1, 501, '1396', 'breaking bad');
                INSERT INTO episode (id, public_id, series_id, season, episode_num) VALUES (1, 11001, 1, 1, 1), (2, 21002, 1, 1, 2);
                """)
            func movieRelation(_ movie: Int, _ account: Int, _ stream: Int, _ name: String) throws {
                try db.execute(sql: """
                    INSERT INTO movie_relation (movie_id, account_id, stream_id, container_extension, name, stream_icon, rating,
                      rating_5based, added, is_adult, tmdb, trailer, extra, content_hash, first_seen, last_seen)
                    VALUES (?, ?, ?, 'mkv', ?, '', '', 0, '', '0', '', '', '{}', 0, 0, 0)
                    """, arguments: [movie, account, stream, name])
            }
            try movieRelation(1, 1, 10003, "|EN| Interstellar 4K")
            try movieRelation(1, 1, 10004, "Interstellar (2014) 1080p")
            try movieRelation(2, 1, 10001, "EN - The Matrix (1999)")
            try movieRelation(2, 2, 20001, "The Matrix")
            try movieRelation(3, 1, 10002, "Inception")
            try movieRelation(3, 2, 20002, "Inception (2010)")
            for (id, account, provider, name) in [(1, 1, 501, "Breaking Bad"), (2, 2, 601, "Breaking Bad 4K")] {
                try db.execute(sql: """
                    INSERT INTO series_relation (id, series_id, account_id, provider_series_id, name, cover, plot, "cast", director,
                      genre, release_date, last_modified, rating, rating_5based, youtube_trailer, tmdb, episode_run_time, extra,
                      content_hash, first_seen, last_seen)
                    VALUES (?, 1, ?, ?, ?, '', '', '', '', '', '', '', '', 0, '', '', '', '{}', 0, 0, 0)
                    """, arguments: [id, account, provider, name])
            }
            // S1E1 in both accounts; S1E2 only in beta (its id is beta's).
            for (episode, account, seriesRelation, stream) in [(1, 1, 1, 11001), (1, 2, 2, 21001), (2, 2, 2, 21002)] {
                try db.execute(sql: """
                    INSERT INTO episode_relation (episode_id, account_id, series_relation_id, stream_id, container_extension, title,
                      added, custom_sid, direct_source, extra, content_hash, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, 'mkv', '', '', '', '', '{}', 0, 0, 0)
                    """, arguments: [episode, account, seriesRelation, stream])
            }
            try Store.recomputePreferredRelations(db)
        }
        return path
    }

    @Test func splitsCopiesIntoEntriesKeepingEveryIdOnItsFile() async throws {
        let path = try Self.oldDatabase()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try Store(path: path)
        let movies = try await store.testRead { db in
            try Row.fetchAll(db, sql: """
                SELECT m.public_id AS public_id, m.variant_key AS variant_key, m.title_id AS title_id, m.id AS id,
                       group_concat(r.stream_id) AS streams
                FROM movie m JOIN movie_relation r ON r.movie_id = m.id GROUP BY m.id ORDER BY m.public_id
                """).map { ($0["public_id"] as Int, $0["variant_key"] as String, $0["streams"] as String) }
        }
        #expect(movies.map(\.0) == [10001, 10002, 10003, 10004, 20001])
        #expect(movies.first { $0.0 == 10003 }?.2 == "10003" && movies.first { $0.0 == 10004 }?.2 == "10004",
                "the served 4K copy keeps 10003; the 1080p copy of the same account is split out under its own id")
        #expect(movies.first { $0.0 == 10001 }?.2 == "10001" && movies.first { $0.0 == 20001 }?.2 == "20001")
        #expect(movies.first { $0.0 == 10002 }?.2.split(separator: ",").sorted() == ["10002", "20002"], "same variant: still one entry")
        #expect(movies.first { $0.0 == 10004 }?.1 == "1080p|")
        let relations = try await store.testRead { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation")! }
        #expect(relations == 6, "no relation lost")

        let episodes = try await store.testRead { db in
            try Row.fetchAll(db, sql: """
                SELECT e.public_id AS public_id, s.public_id AS series, group_concat(r.stream_id) AS streams
                FROM episode e JOIN series s ON s.id = e.series_id JOIN episode_relation r ON r.episode_id = e.id
                GROUP BY e.id ORDER BY e.public_id
                """).map { ("\($0["series"] as Int)/\($0["public_id"] as Int)", $0["streams"] as String) }
        }
        // Breaking Bad 4K (beta 601) is a series entry of its own: its copies of S1E1 and S1E2 go with it.
        #expect(episodes.map(\.0) == ["501/11001", "601/21001", "601/21002"])
        #expect(episodes.map(\.1) == ["11001", "21001", "21002"])
        let served = try await store.testRead { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie WHERE preferred_relation_id IS NULL")!
        }
        #expect(served == 0, "every entry is served")
    }
}
