/// The live TV tables (migration `i12-live`), apart from the film and series tables.
///
/// A `channel` is what clients see (one entry per channel and variant, with the public id of its
/// preferred relation); a `channel_relation` is one account's stream of it. `channel.position` is the
/// served order (categories in the provider's order, then the provider's `num`), recomputed with
/// what is served, so lists page by it. `live_category_order` keeps each account's category order.
/// `programme` holds each account's guide by generation: an import writes the next generation batch
/// by batch and `guide_source` switches to it at the end, so readers never see half a guide.
/// `account_timezone` is the provider's `server_info.timezone`: the zone its catch-up START is read in.
enum LiveSchema {
    static let sql = """
        CREATE TABLE channel (
            id INTEGER PRIMARY KEY,
            public_id INTEGER NOT NULL UNIQUE,
            merge_key TEXT NOT NULL,
            variant TEXT NOT NULL,
            preferred_relation_id INTEGER,
            category_ids TEXT NOT NULL DEFAULT '[]',
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX channel_by_key ON channel(merge_key, variant);
        CREATE INDEX channel_by_position ON channel(position);
        CREATE TABLE channel_relation (
        \(SchemaText.relationHead("channel"))
            stream_id INTEGER NOT NULL,
            num INTEGER NOT NULL,
            name TEXT NOT NULL,
            stream_icon TEXT NOT NULL,
            epg_channel_id TEXT NOT NULL,
            epg_key TEXT NOT NULL,
            added TEXT NOT NULL,
            is_adult TEXT NOT NULL,
            tv_archive INTEGER NOT NULL,
            tv_archive_duration INTEGER NOT NULL,
            category_id INTEGER,
            category_ids TEXT NOT NULL DEFAULT '[]',
        \(SchemaText.tracking)
            UNIQUE (account_id, stream_id)
        );
        CREATE INDEX channel_relation_by_channel ON channel_relation(channel_id);
        CREATE TABLE live_category_order (
            account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            category_id INTEGER NOT NULL REFERENCES category(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            PRIMARY KEY (account_id, category_id)
        );
        CREATE TABLE guide_source (
            account_id INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
            generation INTEGER NOT NULL,
            programmes INTEGER NOT NULL,
            fetched_at INTEGER NOT NULL
        );
        CREATE TABLE account_timezone (
            account_id INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
            timezone TEXT NOT NULL
        );
        CREATE TABLE programme (
            account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            generation INTEGER NOT NULL,
            channel TEXT NOT NULL,
            start INTEGER NOT NULL,
            stop INTEGER NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            lang TEXT NOT NULL,
            PRIMARY KEY (account_id, generation, channel, start)
        ) WITHOUT ROWID;
        """
}
