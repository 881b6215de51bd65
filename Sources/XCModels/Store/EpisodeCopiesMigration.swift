import GRDB
import Logging

/// Migration "v8 episode copies" (docs/variants.md, "Episodes"): a series of one account may list one
/// season and number twice (a 4K and an HD copy of S01E01, an upload listed again under another stream
/// id). Earlier versions held one episode per (series entry, season, number), so the second copy was a
/// relation nobody could reach. This drops that uniqueness and splits each such episode: the served
/// relation (else the oldest) of each account keeps the row and its public id; an account's second copy
/// moves to a new episode of the same number, shared with the other accounts' second copies. Nothing is
/// deleted and no public id a client holds changes.
enum EpisodeCopiesMigration {
    static let schema = """
        CREATE TABLE episode_new (
            id INTEGER PRIMARY KEY,
            public_id INTEGER NOT NULL UNIQUE,
            series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
            season INTEGER NOT NULL,
            episode_num INTEGER NOT NULL,
            preferred_relation_id INTEGER
        );
        INSERT INTO episode_new (id, public_id, series_id, season, episode_num, preferred_relation_id)
            SELECT id, public_id, series_id, season, episode_num, preferred_relation_id FROM episode;
        DROP TABLE episode;
        ALTER TABLE episode_new RENAME TO episode;
        CREATE INDEX episode_by_number ON episode(series_id, season, episode_num);
        """

    static func run(_ db: Database) throws {
        try db.execute(sql: schema)
        let logger = Logger(label: "xcserver.migration")
        let moved = try splitCopies(db, logger: logger)
        if moved > 0 {
            try Store.recomputePreferredEpisodes(db, seriesID: nil)
            logger.info("[sync] episodes: \(moved) second copies of one account's episode got episodes of their own")
        }
    }

    /// Moves every relation but the first of each (episode, account) to the episode's n-th extra copy.
    private static func splitCopies(_ db: Database, logger: Logger) throws -> Int {
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.id AS id, r.episode_id AS episode_id, r.account_id AS account_id, r.stream_id AS stream_id,
                   e.series_id AS series_id, e.season AS season, e.episode_num AS episode_num
            FROM episode_relation r JOIN episode e ON e.id = r.episode_id
            WHERE (SELECT COUNT(*) FROM episode_relation o WHERE o.episode_id = r.episode_id AND o.account_id = r.account_id) > 1
            ORDER BY r.episode_id, r.account_id, (r.id IS e.preferred_relation_id) DESC, r.id
            """)
        var moved = 0
        var group: (episode: Int64, account: Int64)?
        var position = 0
        var extras: [Int64] = []   // the extra copies of the episode being read, in the order made
        for row in rows {
            let episodeID: Int64 = row["episode_id"], accountID: Int64 = row["account_id"]
            if group?.episode != episodeID { extras = [] }
            if group?.episode != episodeID || group?.account != accountID {
                group = (episodeID, accountID)
                position = 0
                continue
            }
            position += 1
            if extras.count < position {
                let publicID = try PublicIDs.choose(for: row["stream_id"], in: "episode", db: db, logger: logger)
                try db.execute(sql: "INSERT INTO episode (public_id, series_id, season, episode_num) VALUES (?, ?, ?, ?)",
                               arguments: [publicID, row["series_id"] as Int64, row["season"] as Int, row["episode_num"] as Int])
                extras.append(db.lastInsertedRowID)
            }
            try db.execute(sql: "UPDATE episode_relation SET episode_id = ? WHERE id = ?", arguments: [extras[position - 1], row["id"] as Int64])
            moved += 1
        }
        return moved
    }
}
