import GRDB
import Logging

/// One episode of a provider series as Sync read it from `get_series_info`.
public struct ProviderEpisode: Sendable {
    public var streamID: Int
    public var season: Int
    public var number: Int
    public var containerExtension: String
    public var title: String
    public var added: String
    public var customSID: String
    public var directSource: String
    /// The episode's `info`, a JSON object.
    public var info: String
    /// The whole item, a JSON object.
    public var extra: String
    /// `ContentHash` of `extra`: an unchanged hash leaves the stored relation untouched.
    public var hash: Int64

    public init(streamID: Int, season: Int, number: Int, containerExtension: String, title: String, added: String,
                customSID: String, directSource: String, info: String, extra: String, hash: Int64) {
        self.streamID = streamID
        self.season = season
        self.number = number
        self.containerExtension = containerExtension
        self.title = title
        self.added = added
        self.customSID = customSID
        self.directSource = directSource
        self.info = info
        self.extra = extra
        self.hash = hash
    }
}

/// What importing one series relation's episodes did.
public struct EpisodeImportOutcome: Sendable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var stale = 0
}

extension Store {
    /// Imports the episodes of one series relation (each stream id once) in one transaction: episodes
    /// dedup across accounts by (series, season, episode number), so the same episode in two accounts is
    /// one episode with two relations, while two copies of one number on one account stay two episodes
    /// (`episodeFor`); what the provider no longer lists goes stale; the series
    /// relation records `seasons` and the fetch; the series' served episodes are re-chosen.
    public func importEpisodes(
        _ episodes: [ProviderEpisode], seasons: String, series: SeriesRelationToFetch, now: Int64, logger: Logger
    ) async throws -> EpisodeImportOutcome {
        try await pool.write { db in
            var outcome = EpisodeImportOutcome()
            var known: [Int: (id: Int64, hash: Int64, stale: Bool)] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT stream_id, id, content_hash, stale FROM episode_relation WHERE series_relation_id = ?
                """, arguments: [series.relationID])
            while let row = try rows.next() {
                known[row["stream_id"]] = (row["id"], row["content_hash"], row["stale"])
            }
            // What the provider no longer lists goes stale first, so that a copy it lists instead (an
            // upload listed again under a new stream id) joins that episode and keeps its public id.
            let seen = Set(episodes.map(\.streamID))
            let vanished = known.filter { !$0.value.stale && !seen.contains($0.key) }.map(\.value.id)
            for id in vanished {
                try db.execute(sql: "UPDATE episode_relation SET stale = 1, stale_since = ? WHERE id = ?", arguments: [now, id])
            }
            outcome.stale = vanished.count
            for episode in episodes {
                let values: [(any DatabaseValueConvertible)?] = [
                    episode.containerExtension, episode.title, episode.added, episode.customSID, episode.directSource,
                    episode.info, episode.extra, episode.hash,
                ]
                if let old = known[episode.streamID] {
                    if old.hash == episode.hash && !old.stale {
                        outcome.unchanged += 1
                        continue
                    }
                    try db.cachedStatement(sql: """
                        UPDATE episode_relation SET container_extension = ?, title = ?, added = ?, custom_sid = ?, direct_source = ?,
                          info = ?, extra = ?, content_hash = ?, last_seen = ?, stale = 0, stale_since = NULL WHERE id = ?
                        """).execute(arguments: StatementArguments(values + [now, old.id]))
                    outcome.updated += 1
                } else {
                    let episodeID = try Self.episodeFor(series: series.seriesID, account: series.accountID, season: episode.season,
                                                        number: episode.number, streamID: episode.streamID, db: db, logger: logger)
                    try db.cachedStatement(sql: """
                        INSERT INTO episode_relation (episode_id, account_id, series_relation_id, stream_id, container_extension, title,
                          added, custom_sid, direct_source, info, extra, content_hash, first_seen, last_seen)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: StatementArguments(
                            [episodeID, series.accountID, series.relationID, episode.streamID] + values + [now, now]))
                    outcome.added += 1
                }
            }
            try db.execute(sql: """
                UPDATE series_relation SET seasons = ?, info_last_modified = ?, info_fetched_at = ? WHERE id = ?
                """, arguments: [seasons, series.lastModified, now, series.relationID])
            try db.execute(sql: "UPDATE episode_relation SET last_seen = ? WHERE series_relation_id = ? AND stale = 0",
                           arguments: [now, series.relationID])
            try Self.recomputePreferredEpisodes(db, seriesID: series.seriesID)
            return outcome
        }
    }

    /// The episode a new copy of `account` joins: the first (oldest) episode of that season and number
    /// in the series entry that holds no live copy of this account yet, so the same episode on two
    /// accounts is one episode with failover, and a second copy on one account (a 4K and an HD S01E01)
    /// is an episode of its own, reachable under its own id. Otherwise a new episode.
    private static func episodeFor(series: Int64, account: Int64, season: Int, number: Int, streamID: Int, db: Database,
                                   logger: Logger) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT e.id FROM episode e WHERE e.series_id = ? AND e.season = ? AND e.episode_num = ?
              AND NOT EXISTS (SELECT 1 FROM episode_relation r WHERE r.episode_id = e.id AND r.account_id = ? AND r.stale = 0)
            ORDER BY e.id LIMIT 1
            """), arguments: [series, season, number, account]) {
            return id
        }
        let publicID = try PublicIDs.choose(for: streamID, in: "episode", db: db, logger: logger)
        try db.cachedStatement(sql: "INSERT INTO episode (public_id, series_id, season, episode_num) VALUES (?, ?, ?, ?)")
            .execute(arguments: [publicID, series, season, number])
        return db.lastInsertedRowID
    }
}
