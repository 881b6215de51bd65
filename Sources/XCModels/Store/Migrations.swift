import GRDB

/// The schema, as an append-only list of migrations: a database written by any earlier xcserver opens
/// and upgrades in place. Never edit a migration that has shipped; add the next one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 accounts, users, catalog") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2 settings, user category allow-lists") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3 category title counts") { db in
            try db.execute(sql: v3)
            // Also drops disabled categories from titles' category_ids (earlier versions kept them).
            try Store.recomputePreferredRelations(db)
        }
        migrator.registerMigration("v4 variant entries") { db in
            try VariantsMigration.run(db)
        }
        migrator.registerMigration("v5 account socket limit") { db in
            // docs/sockets.md: 'tolerant' (one upstream socket per client request) or 'strict' (one per viewing).
            try db.execute(sql: "ALTER TABLE account ADD COLUMN socket_limit TEXT NOT NULL DEFAULT 'tolerant'")
        }
        migrator.registerMigration("v6 live channels and guide") { db in
            try db.execute(sql: LiveSchema.sql)
        }
        migrator.registerMigration("v7 user hide adult") { db in
            try db.execute(sql: "ALTER TABLE user ADD COLUMN hide_adult INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v8 episode copies") { db in
            try EpisodeCopiesMigration.run(db)
        }
        migrator.registerMigration("v9 account capacity group") { db in
            // docs/slots.md, "Capacity groups": accounts with the same group are one provider login. NULL: none.
            try db.execute(sql: "ALTER TABLE account ADD COLUMN capacity_group TEXT")
        }
        migrator.registerMigration("v10 channel archive") { db in
            // What catch-up a channel offers, kept on the channel (Store.recomputeChannelArchive).
            try db.execute(sql: """
                ALTER TABLE channel ADD COLUMN tv_archive INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE channel ADD COLUMN tv_archive_duration INTEGER NOT NULL DEFAULT 0;
                """)
            try Store.recomputeChannelArchive(db)
        }
        migrator.registerMigration("v11 served channel") { db in
            // What get_live_streams shows of a channel, kept on it (Store.recomputeServedChannels).
            try db.execute(sql: ServedChannel.migration)
            try Store.recomputeServedChannels(db)
        }
        return migrator
    }

    /// Titles (`movie`, `series`, `episode`) carry identity and the public id handed to clients
    /// (docs/ids.md); what a provider says about a title lives on its relation rows, one per (account,
    /// provider id). The title's `preferred_relation_id` is the relation clients see (highest account
    /// priority among live relations) and its `category_ids` the union of its live relations'
    /// categories, both recomputed in bulk after each sync and account change; a NULL preferred
    /// relation means "not served".
    private static let v1 = """
        CREATE TABLE account (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            base_url TEXT NOT NULL,
            username TEXT NOT NULL,
            password TEXT NOT NULL,
            max_connections INTEGER NOT NULL DEFAULT 1 CHECK (max_connections >= 1),
            priority INTEGER NOT NULL DEFAULT 0,
            enabled BOOLEAN NOT NULL DEFAULT 1,
            user_agent TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE user (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password TEXT NOT NULL,
            max_connections INTEGER NOT NULL DEFAULT 1 CHECK (max_connections >= 1),
            enabled BOOLEAN NOT NULL DEFAULT 1,
            expires_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE category (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            UNIQUE (kind, name)
        );
        CREATE TABLE account_category (
            account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            provider_category_id TEXT NOT NULL,
            category_id INTEGER NOT NULL REFERENCES category(id) ON DELETE CASCADE,
            enabled BOOLEAN NOT NULL DEFAULT 1,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (account_id, kind, provider_category_id)
        );
        CREATE INDEX account_category_by_category ON account_category(category_id);

        CREATE TABLE movie (
        \(SchemaText.titleColumns),
            detail TEXT,
            detail_fetched_at INTEGER
        );
        \(SchemaText.titleIndexes("movie"))
        CREATE TABLE movie_relation (
        \(SchemaText.relationHead("movie"))
            stream_id INTEGER NOT NULL,
            container_extension TEXT NOT NULL,
            category_id INTEGER,
            category_ids TEXT NOT NULL DEFAULT '[]',
            name TEXT NOT NULL,
            stream_icon TEXT NOT NULL,
            rating TEXT NOT NULL,
            rating_5based REAL NOT NULL,
            added TEXT NOT NULL,
            is_adult TEXT NOT NULL,
            tmdb TEXT NOT NULL,
            trailer TEXT NOT NULL,
        \(SchemaText.tracking)
            UNIQUE (account_id, stream_id)
        );
        CREATE INDEX movie_relation_by_movie ON movie_relation(movie_id);

        CREATE TABLE series (
        \(SchemaText.titleColumns)
        );
        \(SchemaText.titleIndexes("series"))
        CREATE TABLE series_relation (
        \(SchemaText.relationHead("series"))
            provider_series_id INTEGER NOT NULL,
            category_id INTEGER,
            category_ids TEXT NOT NULL DEFAULT '[]',
            name TEXT NOT NULL,
            cover TEXT NOT NULL,
            plot TEXT NOT NULL,
            "cast" TEXT NOT NULL,
            director TEXT NOT NULL,
            genre TEXT NOT NULL,
            release_date TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            rating TEXT NOT NULL,
            rating_5based REAL NOT NULL,
            backdrop_path TEXT NOT NULL DEFAULT '[]',
            youtube_trailer TEXT NOT NULL,
            tmdb TEXT NOT NULL,
            episode_run_time TEXT NOT NULL,
        \(SchemaText.tracking)
            seasons TEXT NOT NULL DEFAULT '[]',
            info_last_modified TEXT,
            info_fetched_at INTEGER,
            UNIQUE (account_id, provider_series_id)
        );
        CREATE INDEX series_relation_by_series ON series_relation(series_id);

        CREATE TABLE episode (
            id INTEGER PRIMARY KEY,
            public_id INTEGER NOT NULL UNIQUE,
            series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
            season INTEGER NOT NULL,
            episode_num INTEGER NOT NULL,
            preferred_relation_id INTEGER,
            UNIQUE (series_id, season, episode_num)
        );
        CREATE TABLE episode_relation (
        \(SchemaText.relationHead("episode"))
            series_relation_id INTEGER NOT NULL REFERENCES series_relation(id) ON DELETE CASCADE,
            stream_id INTEGER NOT NULL,
            container_extension TEXT NOT NULL,
            title TEXT NOT NULL,
            added TEXT NOT NULL,
            custom_sid TEXT NOT NULL,
            direct_source TEXT NOT NULL,
            info TEXT NOT NULL DEFAULT '{}',
        \(SchemaText.tracking)
            UNIQUE (account_id, stream_id)
        );
        CREATE INDEX episode_relation_by_episode ON episode_relation(episode_id);
        CREATE INDEX episode_relation_by_series_relation ON episode_relation(series_relation_id);
        """

    /// `setting` holds server-wide values such as the generated admin token. `user_category` is a
    /// user's allow-list: when a user has rows here, the XC API shows that user only those categories.
    private static let v2 = """
        CREATE TABLE setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE user_category (
            user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            category_id INTEGER NOT NULL REFERENCES category(id) ON DELETE CASCADE,
            PRIMARY KEY (user_id, category_id)
        );
        """

    /// How many served titles each category holds for clients (`category.titles`) and how many titles
    /// each account holds live relations for in it (`account_category.titles`), kept by
    /// `recomputePreferredRelations` in the same transaction as what is served, so category lists read
    /// them instead of counting titles on every call.
    private static let v3 = """
        ALTER TABLE category ADD COLUMN titles INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE account_category ADD COLUMN titles INTEGER NOT NULL DEFAULT 0;
        """
}
