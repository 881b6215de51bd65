/// The column and index text the catalog tables repeat, spliced into the migrations' SQL. The SQL a
/// migration runs must stay what it was byte for byte (existing databases ran it, and `sqlite_master`
/// keeps the text), so these are only a way of writing it once: each fragment's lines carry the
/// indentation of a column inside `CREATE TABLE`, and none ends with a newline.
enum SchemaText {
    /// The identity columns of a title table (`movie`, `series`), up to `category_ids` (no comma after it).
    static let titleColumns = """
            id INTEGER PRIMARY KEY,
            public_id INTEGER NOT NULL UNIQUE,
            tmdb TEXT,
            imdb TEXT,
            name_key TEXT NOT NULL,
            year INTEGER,
            preferred_relation_id INTEGER,
            category_ids TEXT NOT NULL DEFAULT '[]'
        """

    /// The indexes a title table is matched by in a sync (docs/ids.md).
    static func titleIndexes(_ table: String) -> String { """
        CREATE INDEX \(table)_by_tmdb ON \(table)(tmdb) WHERE tmdb IS NOT NULL;
        CREATE INDEX \(table)_by_imdb ON \(table)(imdb) WHERE imdb IS NOT NULL;
        CREATE INDEX \(table)_by_name ON \(table)(name_key, year);
        """
    }

    /// The first columns of a relation table: its id, the row it is a copy of (`owner`), its account.
    static func relationHead(_ owner: String) -> String { """
            id INTEGER PRIMARY KEY,
            \(owner)_id INTEGER NOT NULL REFERENCES \(owner)(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
        """
    }

    /// What every relation table keeps of the provider's item beyond its own columns, and when the
    /// sync saw it (a comma after the last).
    static let tracking = """
            extra TEXT NOT NULL,
            content_hash INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            stale BOOLEAN NOT NULL DEFAULT 0,
            stale_since INTEGER,
        """
}
