import GRDB

/// What clients are shown of a channel (its preferred relation's name, icon, guide id, `added`,
/// `is_adult` and category), copied onto the `channel` row whenever the preferred relation is chosen
/// (migration `v11 served channel`).
///
/// Why a copy: `get_live_streams` lists 30,000 channels in the served order, which is not the order the
/// relation rows are stored in (they hold the provider's whole item, ~4 KB a page for a dozen rows).
/// Joining each channel to its relation read the 11 MB relation table page by page out of order, more
/// than SQLite's page cache holds, so half of a render was `pread`. With these columns the list reads
/// the channel alone, and the position index holds every column the list reads (a covering index,
/// ~3 MB for 30,000 channels): the list is one walk of that index in served order, with no seek into
/// the table per channel (a tenth of a render's CPU otherwise).
enum ServedChannel {
    static let migration = """
        ALTER TABLE channel ADD COLUMN name TEXT NOT NULL DEFAULT '';
        ALTER TABLE channel ADD COLUMN stream_icon TEXT NOT NULL DEFAULT '';
        ALTER TABLE channel ADD COLUMN epg_channel_id TEXT NOT NULL DEFAULT '';
        ALTER TABLE channel ADD COLUMN added TEXT NOT NULL DEFAULT '';
        ALTER TABLE channel ADD COLUMN first_seen INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE channel ADD COLUMN is_adult TEXT NOT NULL DEFAULT '';
        ALTER TABLE channel ADD COLUMN category_id INTEGER;
        DROP INDEX channel_by_position;
        CREATE INDEX channel_served_by_position ON channel(
            position, preferred_relation_id, is_adult, public_id, name, stream_icon, epg_channel_id, added, first_seen,
            category_id, category_ids, tv_archive, tv_archive_duration);
        """

    /// The served category: the preferred relation's own, else the first the channel is listed in.
    static let category = "COALESCE(r.category_id, json_extract(channel.category_ids, '$[0]'))"
    static let copied = ["name", "stream_icon", "epg_channel_id", "added", "first_seen", "is_adult"]
}

extension Store {
    /// Copies each served channel's fields from its preferred relation (after `preferred_relation_id`
    /// and `category_ids` are recomputed); writes only the channels whose fields change, so an admin
    /// switch or a sync that changed nothing rewrites nothing. A channel no longer served keeps its
    /// last fields (it is not listed). Skipped before migration v11 adds the columns.
    static func recomputeServedChannels(_ db: Database) throws {
        guard try db.columns(in: "channel").contains(where: { $0.name == "epg_channel_id" }) else { return }
        let assignments = ServedChannel.copied.map { "\($0) = r.\($0)" } + ["category_id = \(ServedChannel.category)"]
        let changed = ServedChannel.copied.map { "channel.\($0) IS NOT r.\($0)" } + ["channel.category_id IS NOT \(ServedChannel.category)"]
        try db.execute(sql: """
            UPDATE channel SET \(assignments.joined(separator: ", "))
            FROM channel_relation r
            WHERE r.id = channel.preferred_relation_id AND (\(changed.joined(separator: " OR ")))
            """)
    }
}
