import GRDB

/// What one account contributes to the catalog, for the admin API's account answers.
public struct AccountCatalogCounts: Sendable, Equatable, Encodable {
    /// Live (not stale) relations per kind.
    public var movies = 0
    public var series = 0
    public var episodes = 0
    /// Stale relations of every kind (kept until pruned).
    public var stale = 0

    public init(movies: Int = 0, series: Int = 0, episodes: Int = 0, stale: Int = 0) {
        self.movies = movies
        self.series = series
        self.episodes = episodes
        self.stale = stale
    }
}

extension Store {
    /// Relation counts of every account, keyed by account id (accounts without relations are absent).
    public func accountCatalogCounts() async throws -> [Int64: AccountCatalogCounts] {
        try await pool.read { db in
            var counts: [Int64: AccountCatalogCounts] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT account_id, 'movie' AS kind, SUM(stale = 0) AS live, SUM(stale = 1) AS stale FROM movie_relation GROUP BY account_id
                UNION ALL
                SELECT account_id, 'series' AS kind, SUM(stale = 0) AS live, SUM(stale = 1) AS stale FROM series_relation GROUP BY account_id
                UNION ALL
                SELECT account_id, 'episode' AS kind, SUM(stale = 0) AS live, SUM(stale = 1) AS stale FROM episode_relation GROUP BY account_id
                """)
            for row in rows {
                let id: Int64 = row["account_id"]
                let live: Int = row["live"] ?? 0
                let stale: Int = row["stale"] ?? 0
                var entry = counts[id] ?? AccountCatalogCounts()
                switch row["kind"] as String {
                case "movie": entry.movies = live
                case "series": entry.series = live
                default: entry.episodes = live
                }
                entry.stale += stale
                counts[id] = entry
            }
            return counts
        }
    }

    /// Deletes an account and everything only it brought, in one transaction: its relations and category
    /// links go (foreign keys cascade), titles and episodes left without any relation are removed, merged
    /// categories no account carries any more are removed unless a user's allow-list names them (removing
    /// those would silently lift the allow-list), and every remaining title's served relation is re-chosen.
    /// Returns false when there is no such account.
    @discardableResult
    public func deleteAccount(id: Int64) async throws -> Bool {
        try await pool.write { db in
            guard try Account.deleteOne(db, key: id) else { return false }
            // Explicit, so the outcome does not depend on the connection's foreign-key setting.
            for table in ["episode_relation", "series_relation", "movie_relation", "account_category"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE account_id = ?", arguments: [id])
            }
            try Self.deleteOrphanTitles(db)
            try db.execute(sql: """
                DELETE FROM category
                WHERE NOT EXISTS (SELECT 1 FROM account_category ac WHERE ac.category_id = category.id)
                  AND NOT EXISTS (SELECT 1 FROM user_category uc WHERE uc.category_id = category.id)
                """)
            try Self.recomputePreferredRelations(db)
            return true
        }
    }

    /// Removes movies, series and episodes that no relation refers to any more.
    static func deleteOrphanTitles(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM episode_relation WHERE NOT EXISTS (SELECT 1 FROM series_relation sr WHERE sr.id = episode_relation.series_relation_id)")
        try db.execute(sql: "DELETE FROM movie WHERE NOT EXISTS (SELECT 1 FROM movie_relation r WHERE r.movie_id = movie.id)")
        try db.execute(sql: "DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM series_relation r WHERE r.series_id = series.id)")
        try db.execute(sql: "DELETE FROM episode WHERE NOT EXISTS (SELECT 1 FROM episode_relation r WHERE r.episode_id = episode.id)")
    }
}
