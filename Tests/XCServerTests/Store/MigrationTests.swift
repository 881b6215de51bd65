import Foundation
import GRDB
import Testing
@testable import XCModels

/// A database written by an earlier xcserver opens and upgrades in place, losing nothing.
@Suite struct MigrationTests {
    /// A v2 database (before category counts) as v2 wrote it: alpha's Comedy disabled, Hot Fuzz in
    /// Action and Comedy with both still in its `category_ids`, a login restricted to Comedy.
    static let v2Rows = """
        INSERT INTO account (id, name, base_url, username, password, max_connections, priority, created_at)
          VALUES (1, 'alpha', 'http://127.0.0.1:9', 'a', 'b', 1, 10, 1700000000);
        INSERT INTO user (id, username, password, max_connections, created_at) VALUES (1, 'family', 'pw', 2, 1700000000);
        INSERT INTO category (id, kind, name) VALUES (1, 'movie', 'Action'), (2, 'movie', 'Comedy');
        INSERT INTO account_category (account_id, kind, provider_category_id, category_id, enabled, last_seen)
          VALUES (1, 'movie', '1', 1, 1, 1700000000), (1, 'movie', '2', 2, 0, 1700000000);
        INSERT INTO movie (id, public_id, tmdb, name_key, year, preferred_relation_id, category_ids)
          VALUES (1, 10013, '4638', 'hot fuzz', 2007, 1, '[1,2]'), (2, 10011, NULL, 'superbad', NULL, NULL, '[2]');
        INSERT INTO movie_relation (id, movie_id, account_id, stream_id, container_extension, category_id, category_ids, name,
            stream_icon, rating, rating_5based, added, is_adult, tmdb, trailer, extra, content_hash, first_seen, last_seen)
          VALUES (1, 1, 1, 10013, 'mkv', 1, '[1,2]', 'Hot Fuzz', '', '7.8', 3.9, '1700000013', '0', '4638', '', '{}', 1, 1700000000, 1700000000),
                 (2, 2, 1, 10011, 'mp4', 2, '[2]', 'Superbad', '', '7.6', 3.8, '1700000011', '0', '', '', '{}', 2, 1700000000, 1700000000);
        INSERT INTO user_category (user_id, category_id) VALUES (1, 2);
        INSERT INTO setting (key, value) VALUES ('admin_token', 'kept');
        """

    /// A v9 database's channels: BBC One's catch-up only on beta's copy, ITV's only on a stale relation.
    static let v9Channels = """
        INSERT INTO account (id, name, base_url, username, password, max_connections, priority, created_at)
          VALUES (1, 'alpha', 'http://127.0.0.1:9', 'a', 'b', 1, 10, 1700000000),
                 (2, 'beta', 'http://127.0.0.1:9', 'c', 'd', 1, 0, 1700000000);
        INSERT INTO channel (id, public_id, merge_key, variant, preferred_relation_id, position)
          VALUES (1, 3001, 'bbc1', '|', 1, 1), (2, 3002, 'itv', '|', 3, 2);
        INSERT INTO channel_relation (id, channel_id, account_id, stream_id, num, name, stream_icon, epg_channel_id,
          epg_key, added, is_adult, tv_archive, tv_archive_duration, extra, content_hash, first_seen, last_seen, stale)
          VALUES (1, 1, 1, 3001, 1, 'BBC One', '', 'bbc1', 'bbc1', '0', '0', 0, 0, '{}', 1, 1700000000, 1700000000, 0),
                 (2, 1, 2, 4001, 1, 'BBC One', '', 'bbc1', 'bbc1', '0', '0', 1, 5, '{}', 2, 1700000000, 1700000000, 0),
                 (3, 2, 1, 3002, 2, 'ITV', '', 'itv', 'itv', '0', '0', 1, 3, '{}', 3, 1700000000, 1700000000, 1);
        """

    /// A database file written by the migrations up to `version` and then `rows`, as that xcserver left it;
    /// `body` opens it with today's store.
    static func withOldDatabase(upTo version: String, rows: String, _ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("old.sqlite").path
        do {
            let old = try DatabasePool(path: path)
            try Migrations.migrator.migrate(old, upTo: version)
            try await old.write { db in try db.execute(sql: rows) }
            try old.close()
        }
        try await body(path)
    }

    @Test func aVersion2DatabaseIsMigratedToTheCurrentSchemaWithItsCountsAndNothingLost() async throws {
        try await Self.withOldDatabase(upTo: "v2 settings, user category allow-lists", rows: Self.v2Rows) { path in
            let store = try Store(path: path)
            let applied = try await store.testRead { db in try Migrations.migrator.appliedIdentifiers(db) }
            #expect(applied == Set(Migrations.migrator.migrations), "every migration ran")

            let counts = try await store.testRead { db in
                try Row.fetchAll(db, sql: "SELECT name, titles FROM category ORDER BY id").map { [$0["name"] as String: $0["titles"] as Int] }
            }
            #expect(counts == [["Action": 1], ["Comedy": 0]], "counted: Hot Fuzz in Action; Comedy disabled for the only account")
            let titles = try await store.testRead { db in
                try Row.fetchAll(db, sql: "SELECT public_id, category_ids, preferred_relation_id FROM movie ORDER BY id")
                    .map { "\($0["public_id"] as Int64) \($0["category_ids"] as String) \(($0["preferred_relation_id"] as Int64?).map(String.init) ?? "-")" }
            }
            #expect(titles == ["10013 [1] 1", "10011 [] -"], "public ids kept; the disabled category dropped from what is served")
            #expect(try await store.visibleCategories(kind: .movie, scope: .everything).map(\.name) == ["Action"])
            let relations = try await store.testRead { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation") }
            #expect(relations == 2, "no relation lost, served or not")
            #expect(try await store.allowedCategories(userID: 1) == [2])
            #expect(try await store.setting("admin_token") == "kept")
            #expect(try await store.authenticate(username: "family", password: "pw")?.user.id == 1)
        }
    }

    /// A v9 database (channels, catch-up read from the relations) gains the archive columns on its
    /// channels, filled from the relations as they are: the live list shows the same catch-up as before.
    @Test func aVersion9DatabaseKeepsItsChannelsCatchUp() async throws {
        try await Self.withOldDatabase(upTo: "v9 account capacity group", rows: Self.v9Channels) { path in
            let store = try Store(path: path)
            let archive = try await store.testRead { db in
                try Row.fetchAll(db, sql: "SELECT public_id, tv_archive, tv_archive_duration FROM channel ORDER BY id")
                    .map { "\($0["public_id"] as Int64) \($0["tv_archive"] as Int) \($0["tv_archive_duration"] as Int)" }
            }
            #expect(archive == ["3001 1 5", "3002 0 0"], "beta's copy keeps 5 days; ITV's only archive is on a stale relation")
        }
    }

    /// A v10 database's channels are listed as before once upgraded, without a sync: the fields shown
    /// are copied onto the channel (migration v11) from the preferred relation.
    @Test func aVersion10DatabaseListsItsChannelsWithoutASync() async throws {
        let rows = Self.v9Channels + """
            INSERT INTO category (id, kind, name) VALUES (7, 'live', 'UK');
            UPDATE channel SET category_ids = '[7]';
            UPDATE channel_relation SET category_id = 7, category_ids = '[7]', stream_icon = 'http://img.example/' || id || '.png',
              added = '17000000' || id, is_adult = '0';
            UPDATE channel SET preferred_relation_id = 1 WHERE id = 1;
            UPDATE channel SET preferred_relation_id = NULL WHERE id = 2;
            """
        try await Self.withOldDatabase(upTo: "v10 channel archive", rows: rows) { path in
            let store = try Store(path: path)
            let page = try await store.liveListPage(scope: .everything, category: nil, after: 0, limit: 10, into: [String]()) { out, row, _ in
                out.append("\(row.publicID) \(row.name) \(row.epgChannelID) \(row.streamIcon) \(row.added) \(row.categoryID ?? 0) \(row.group)")
            }
            #expect(page.output == ["3001 BBC One bbc1 http://img.example/1.png 170000001 7 UK"], "ITV is not served")
        }
    }
}
