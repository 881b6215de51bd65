import GRDB

/// A category as one provider account lists it: its own id and its (trimmed, non-empty) name.
public struct ProviderCategory: Sendable {
    public var providerID: String
    public var name: String

    public init(providerID: String, name: String) {
        self.providerID = providerID
        self.name = name
    }
}

/// What importing one account's categories of one kind did, and the provider id → xcserver id map the
/// title import uses.
public struct CategoryImportOutcome: Sendable {
    /// Every provider category id of the account (this list's and earlier syncs') → merged category id.
    public var map: [String: Int64] = [:]
    /// Provider category ids the admin disabled for the account.
    public var disabled = Set<String>()
    public var added = 0
    public var updated = 0
    public var unchanged = 0
}

/// A series relation of one account whose episodes are to be (re)fetched.
public struct SeriesRelationToFetch: Sendable {
    public var relationID: Int64
    public var seriesID: Int64
    public var accountID: Int64
    public var providerSeriesID: Int
    public var lastModified: String

    public init(relationID: Int64, seriesID: Int64, accountID: Int64, providerSeriesID: Int, lastModified: String) {
        self.relationID = relationID
        self.seriesID = seriesID
        self.accountID = accountID
        self.providerSeriesID = providerSeriesID
        self.lastModified = lastModified
    }
}

extension Store {
    /// The page cache of the writer connection while a sync imports the film and series lists, in KiB
    /// (32 MiB: as fast as 64 MiB for 100,000 films in docs/list-sync.md's measurement, at half the memory).
    ///
    /// A new film is looked up in, and inserted into, the indexes of `movie` by name and ids, in the
    /// random order of the provider's list. With SQLite's default cache (2 MiB) those index pages are
    /// read back from the file and spilled to the WAL again and again within one batch; 64 MiB holds
    /// them for a 100,000-film catalog (docs/list-sync.md has the measurement). The writer gets the
    /// default back after the lists (`restoreWriterCache`), so the guide import and a server between
    /// syncs keep it.
    static let syncCacheKiB = 32_768

    /// Grows the writer's page cache for a sync.
    public func growWriterCache() async throws {
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = \(-Self.syncCacheKiB)") }
    }

    /// The writer's page cache between syncs, in KiB: SQLite's default, the size it opens with (readers
    /// have their own, `readerCacheKB`).
    static let writerCacheKiB = 2000

    /// Gives the writer its page cache size between syncs, and the memory of the pages beyond it. Jobs
    /// of different accounts may overlap: the first to end gives the cache back and the other goes on
    /// slower, never with a wrong result, and never leaves the cache grown.
    public func restoreWriterCache() async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
            try db.execute(sql: "PRAGMA shrink_memory")
        }
    }

    /// Imports one account's categories of one kind in one transaction. Categories of one kind merge
    /// across accounts by exact name: clients see one "Action". A category an admin disabled for an
    /// account stays disabled; titles may name categories the list no longer has, so the earlier
    /// syncs' mappings are kept.
    public func importCategories(_ categories: [ProviderCategory], kind: CatalogKind, accountID: Int64, now: Int64) async throws -> CategoryImportOutcome {
        try await pool.write { db in
            var outcome = CategoryImportOutcome()
            for category in categories {
                try db.execute(sql: "INSERT INTO category (kind, name) VALUES (?, ?) ON CONFLICT (kind, name) DO NOTHING",
                               arguments: [kind.rawValue, category.name])
                let categoryID = try Int64.fetchOne(db, sql: "SELECT id FROM category WHERE kind = ? AND name = ?",
                                                    arguments: [kind.rawValue, category.name])!
                let previous = try Int64.fetchOne(db, sql: """
                    SELECT category_id FROM account_category WHERE account_id = ? AND kind = ? AND provider_category_id = ?
                    """, arguments: [accountID, kind.rawValue, category.providerID])
                try db.execute(sql: """
                    INSERT INTO account_category (account_id, kind, provider_category_id, category_id, last_seen)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (account_id, kind, provider_category_id) DO UPDATE SET category_id = excluded.category_id, last_seen = excluded.last_seen
                    """, arguments: [accountID, kind.rawValue, category.providerID, categoryID, now])
                switch previous {
                case nil: outcome.added += 1
                case categoryID: outcome.unchanged += 1
                default: outcome.updated += 1
                }
                outcome.map[category.providerID] = categoryID
            }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT provider_category_id, category_id, enabled FROM account_category WHERE account_id = ? AND kind = ?
                """, arguments: [accountID, kind.rawValue])
            while let row = try rows.next() {
                let providerID: String = row["provider_category_id"]
                if outcome.map[providerID] == nil { outcome.map[providerID] = row["category_id"] }
                if !(row["enabled"] as Bool) { outcome.disabled.insert(providerID) }
            }
            return outcome
        }
    }

    /// The live series relations of `accountID` whose episodes were never fetched, or whose
    /// `last_modified` changed since, in id order.
    public func seriesRelationsDue(accountID: Int64) async throws -> [SeriesRelationToFetch] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, series_id, provider_series_id, last_modified FROM series_relation
                WHERE account_id = ? AND stale = 0 AND (info_fetched_at IS NULL OR info_last_modified IS NOT last_modified)
                ORDER BY id
                """, arguments: [accountID]).map {
                SeriesRelationToFetch(relationID: $0["id"], seriesID: $0["series_id"], accountID: accountID,
                                      providerSeriesID: $0["provider_series_id"], lastModified: $0["last_modified"])
            }
        }
    }

    /// The live relations of series `seriesID` on enabled accounts whose episodes were never fetched,
    /// with their accounts, in admission order.
    public func unfetchedSeriesRelations(seriesID: Int64) async throws -> [(Account, SeriesRelationToFetch)] {
        try await pool.read { db in
            // The account's columns come first: a record reads the leftmost `id`, which must be the account's.
            try Row.fetchAll(db, sql: """
                SELECT a.*, sr.id AS relation_id, sr.series_id, sr.provider_series_id, sr.last_modified AS relation_last_modified
                FROM series_relation sr JOIN account a ON a.id = sr.account_id
                WHERE sr.series_id = ? AND sr.stale = 0 AND a.enabled = 1 AND sr.info_fetched_at IS NULL
                ORDER BY \(AdmissionOrder.sql())
                """, arguments: [seriesID]).map { row in
                let account = try Account(row: row)
                return (account, SeriesRelationToFetch(relationID: row["relation_id"], seriesID: row["series_id"], accountID: account.id!,
                                                       providerSeriesID: row["provider_series_id"], lastModified: row["relation_last_modified"]))
            }
        }
    }

    /// Deletes relations stale since `cutoff` or earlier and the titles and episodes left without any
    /// relation, then re-chooses what is served. Returns the number of relations deleted.
    public func pruneStale(since cutoff: Int64) async throws -> Int {
        try await pool.write { db in
            var deleted = 0
            for table in ["episode_relation", "movie_relation", "series_relation"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE stale = 1 AND stale_since <= ?", arguments: [cutoff])
                deleted += db.changesCount
            }
            try db.execute(sql: "DELETE FROM movie WHERE NOT EXISTS (SELECT 1 FROM movie_relation r WHERE r.movie_id = movie.id)")
            try db.execute(sql: "DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM series_relation r WHERE r.series_id = series.id)")
            try db.execute(sql: "DELETE FROM episode WHERE NOT EXISTS (SELECT 1 FROM episode_relation r WHERE r.episode_id = episode.id)")
            deleted += try Self.pruneStaleChannels(db, since: cutoff)
            try Self.recomputePreferredRelations(db)
            return deleted
        }
    }
}
