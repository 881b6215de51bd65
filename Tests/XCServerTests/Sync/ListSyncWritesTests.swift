import Foundation
import GRDB
import Sync
import Synchronization
import Testing
@testable import XCModels
@testable import XCServerKit

/// What a list sync writes beyond the relations (docs/list-sync.md, "Write only what changes").
@Suite struct ListSyncWritesTests {
    typealias Choice = [Int64: [String]]

    /// Every film's and series' served relation and categories.
    static func choices(_ store: Store) async throws -> Choice {
        try await store.testRead { db in
            var choices: Choice = [:]
            for table in ["movie", "series"] {
                let rows = try Row.fetchAll(db, sql: "SELECT id, preferred_relation_id, category_ids FROM \(table)")
                for row in rows {
                    let relation: Int64? = row["preferred_relation_id"]
                    choices[(table == "movie" ? 0 : 1_000_000) + (row["id"] as Int64)] = [relation.map(String.init) ?? "-", row["category_ids"]]
                }
            }
            return choices
        }
    }

    @Test func recomputingWhatIsServedWritesOnlyTheTitlesWhoseChoiceChanged() async throws {
        try await TestEnvironment.with { env in
            let chosen = try await Self.choices(env.store)
            #expect(chosen.count == 28)
            #expect(try await env.store.recomputePreferredRelations() == 0, "the sync chose already: nothing to write")

            // By hand, without `testWrite`'s recompute: two titles whose stored choice is not the rule's.
            try await env.store.pool.write { db in
                try db.execute(sql: """
                    UPDATE movie SET preferred_relation_id = NULL
                    WHERE id = (SELECT MIN(id) FROM movie WHERE preferred_relation_id IS NOT NULL)
                    """)
                try db.execute(sql: "UPDATE series SET category_ids = '[]' WHERE id = (SELECT MIN(id) FROM series WHERE category_ids != '[]')")
            }
            let written = try await env.store.recomputePreferredRelations()
            #expect(written == 2, "the two titles that differ, and only them (\(written) written)")
            #expect(try await Self.choices(env.store) == chosen)
        }
    }

    @Test func aResyncOfUnchangedListsRewritesNoTitle() async throws {
        try await TestEnvironment.with { env in
            let chosen = try await Self.choices(env.store)
            let report = try await env.services.sync.run(options: SyncOptions(episodes: false))
            #expect(!report.failed, "\(report.text)")
            #expect(report.accounts.allSatisfy { $0.kinds["movies"]?.unchanged ?? 0 > 0 })
            #expect(try await Self.choices(env.store) == chosen)
            #expect(try await env.store.recomputePreferredRelations() == 0)
        }
    }

    @Test func theWritersPageCacheIsGivenBackAfterASync() async throws {
        try await TestEnvironment.with(sync: false) { env in
            let opened = Mutex<Int?>(nil)
            try await env.store.testWrite { db in
                let size = try Int.fetchOne(db, sql: "PRAGMA cache_size")
                opened.withLock { $0 = size }
            }
            let sqliteDefault = opened.withLock { $0 }
            let report = try await env.services.sync.run(options: SyncOptions(episodes: false))
            #expect(!report.failed, "\(report.text)")
            let writer = Mutex<Int?>(nil)
            try await env.store.testWrite { db in
                let size = try Int.fetchOne(db, sql: "PRAGMA cache_size")
                writer.withLock { $0 = size }
            }
            #expect(writer.withLock { $0 } == sqliteDefault, "a server between syncs keeps SQLite's default cache")
            #expect(sqliteDefault == -Store.writerCacheKiB && sqliteDefault != -Store.syncCacheKiB)
        }
    }
}
