import GRDB
import Logging

/// Migration "v4 variant entries": titles become *entries* (docs/variants.md). Earlier versions folded every
/// copy of a title into one row, so a 4K copy, a `|FR|` copy or a second stream id of the same account
/// was a relation nobody could reach. This splits each such row: the copies that share the served
/// relation's variant key (one per account) keep the row and its public id; every other group becomes
/// a new entry of the same title with a new public id. Episodes follow their series relation into the
/// new series entry the same way. Nothing is deleted and no public id a client holds changes.
enum VariantsMigration {
    static let schema = """
        ALTER TABLE movie ADD COLUMN title_id INTEGER;
        ALTER TABLE movie ADD COLUMN variant_key TEXT NOT NULL DEFAULT '|';
        ALTER TABLE movie ADD COLUMN quality TEXT NOT NULL DEFAULT '';
        ALTER TABLE movie ADD COLUMN language TEXT NOT NULL DEFAULT '';
        ALTER TABLE series ADD COLUMN title_id INTEGER;
        ALTER TABLE series ADD COLUMN variant_key TEXT NOT NULL DEFAULT '|';
        ALTER TABLE series ADD COLUMN quality TEXT NOT NULL DEFAULT '';
        ALTER TABLE series ADD COLUMN language TEXT NOT NULL DEFAULT '';
        UPDATE movie SET title_id = id;
        UPDATE series SET title_id = id;
        CREATE INDEX movie_by_title ON movie(title_id);
        CREATE INDEX series_by_title ON series(title_id);
        ALTER TABLE user ADD COLUMN variants TEXT NOT NULL DEFAULT 'all';
        ALTER TABLE user ADD COLUMN qualities TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE user ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE user ADD COLUMN max_quality TEXT;
        """

    static func run(_ db: Database) throws {
        try db.execute(sql: schema)
        let logger = Logger(label: "xcserver.migration")
        var split = 0
        for tables in [EntryTables.movie, EntryTables.series] {
            split += try splitEntries(tables, db: db, logger: logger)
        }
        let episodes = try rehomeEpisodes(db, logger: logger)
        try Store.recomputePreferredRelations(db)
        if split > 0 || episodes > 0 {
            logger.info("[sync] variants: \(split) copies split out into entries of their own, \(episodes) episodes moved with them")
        }
    }

    /// One relation as the split reads it, by column name.
    struct RelationRow: ColumnRecord {
        var id: Int64
        var titleID: Int64
        var accountID: Int64
        var providerID: Int
        var name: String
    }

    /// Splits the rows of one kind; returns how many new entries were made.
    private static func splitEntries(_ t: EntryTables, db: Database, logger: Logger) throws -> Int {
        // Served relation first (it keeps the row and its public id), then admission order.
        let rows = try RelationRow.fetchAll(db, sql: """
            SELECT r.id AS id, r.\(t.titleKey) AS title_id, r.account_id AS account_id, r.\(t.providerID) AS provider_id, r.name AS name
            FROM \(t.relation) r JOIN \(t.title) x ON x.id = r.\(t.titleKey) JOIN account a ON a.id = r.account_id
            ORDER BY r.\(t.titleKey), (r.id IS x.preferred_relation_id) DESC, r.stale, \(AdmissionOrder.sql()), r.id
            """)
        var made = 0
        var start = 0
        while start < rows.count {
            var end = start
            while end < rows.count, rows[end].titleID == rows[start].titleID { end += 1 }
            let entries = EntryPartition.split(rows[start..<end].map { ($0.accountID, VariantKey(name: $0.name)) })
            let titleID = rows[start].titleID
            for (index, entry) in entries.enumerated() {
                let relations = entry.members.map { rows[start + $0] }
                var entryID = titleID
                if index > 0 {
                    let publicID = try PublicIDs.choose(for: relations[0].providerID, in: t.title, db: db, logger: logger)
                    try db.execute(sql: """
                        INSERT INTO \(t.title) (public_id, tmdb, imdb, name_key, year, title_id)
                        SELECT ?, tmdb, imdb, name_key, year, id FROM \(t.title) WHERE id = ?
                        """, arguments: [publicID, titleID])
                    entryID = db.lastInsertedRowID
                    try db.execute(sql: "UPDATE \(t.relation) SET \(t.titleKey) = ? WHERE id IN (\(relations.map { String($0.id) }.joined(separator: ",")))",
                                   arguments: [entryID])
                    made += 1
                }
                try t.setVariant(entry.key, entryID: entryID, db: db)
            }
            start = end
        }
        return made
    }

    /// Episodes whose series relation moved to another series entry follow it: the relations of the
    /// served copy keep the episode row (and its public id), the others get an episode in their entry.
    private static func rehomeEpisodes(_ db: Database, logger: Logger) throws -> Int {
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.id AS id, r.episode_id AS episode_id, r.stream_id AS stream_id, sr.series_id AS target,
                   e.series_id AS current, e.season AS season, e.episode_num AS episode_num
            FROM episode_relation r JOIN series_relation sr ON sr.id = r.series_relation_id JOIN episode e ON e.id = r.episode_id
            WHERE EXISTS (SELECT 1 FROM episode_relation o JOIN series_relation osr ON osr.id = o.series_relation_id
                          JOIN episode oe ON oe.id = o.episode_id WHERE o.episode_id = r.episode_id AND osr.series_id != oe.series_id)
            ORDER BY r.episode_id, (r.id IS e.preferred_relation_id) DESC, r.id
            """)
        var moved = 0
        var targets: [Int64: Int64] = [:]   // target series → episode row, for the episode being read
        var episode: Int64?
        for row in rows {
            let episodeID: Int64 = row["episode_id"], target: Int64 = row["target"], relationID: Int64 = row["id"]
            if episodeID != episode {
                episode = episodeID
                targets = [target: episodeID]
                if target != row["current"] as Int64 {
                    try db.execute(sql: "UPDATE episode SET series_id = ? WHERE id = ?", arguments: [target, episodeID])
                }
                continue
            }
            if let existing = targets[target] {
                if existing != episodeID {
                    try db.execute(sql: "UPDATE episode_relation SET episode_id = ? WHERE id = ?", arguments: [existing, relationID])
                }
                continue
            }
            let publicID = try PublicIDs.choose(for: row["stream_id"], in: "episode", db: db, logger: logger)
            try db.execute(sql: "INSERT INTO episode (public_id, series_id, season, episode_num) VALUES (?, ?, ?, ?)",
                           arguments: [publicID, target, row["season"] as Int, row["episode_num"] as Int])
            targets[target] = db.lastInsertedRowID
            try db.execute(sql: "UPDATE episode_relation SET episode_id = ? WHERE id = ?", arguments: [db.lastInsertedRowID, relationID])
            moved += 1
        }
        return moved
    }
}

/// The entry rule as a pure function (docs/variants.md, "Entries"): copies of one title, in order
/// (served copy first), go to the first entry with the same variant key that has no copy of the same
/// account yet, else start a new entry.
enum EntryPartition {
    struct Entry: Equatable {
        var key: VariantKey
        var accounts: Set<Int64>
        /// Indexes into the input.
        var members: [Int]
    }

    static func split(_ copies: [(account: Int64, key: VariantKey)]) -> [Entry] {
        var entries: [Entry] = []
        for (index, copy) in copies.enumerated() {
            if let at = entries.firstIndex(where: { $0.key == copy.key && !$0.accounts.contains(copy.account) }) {
                entries[at].accounts.insert(copy.account)
                entries[at].members.append(index)
            } else {
                entries.append(Entry(key: copy.key, accounts: [copy.account], members: [index]))
            }
        }
        return entries
    }
}

/// The tables of one kind of entry (films or series) and how an entry records its variant.
struct EntryTables: Sendable {
    var title: String
    var relation: String
    var titleKey: String
    var providerID: String

    static let movie = EntryTables(title: "movie", relation: "movie_relation", titleKey: "movie_id", providerID: "stream_id")
    static let series = EntryTables(title: "series", relation: "series_relation", titleKey: "series_id", providerID: "provider_series_id")

    func setVariant(_ key: VariantKey, entryID: Int64, db: Database) throws {
        try db.cachedStatement(sql: "UPDATE \(title) SET variant_key = ?, quality = ?, language = ? WHERE id = ?")
            .execute(arguments: [key.key, key.quality.rawValue, key.language ?? "", entryID])
    }
}
