import GRDB

extension Store {
    /// The live part of `recomputePreferredRelations`, by the same rule as titles: each channel's
    /// preferred relation (live, enabled account, category not disabled for that account; admission
    /// order), its categories (the union, less disabled ones), the fields clients see (`ServedChannel`),
    /// then the served order `position` and the live category counts. Skipped on a database whose live tables do not exist yet (the migrations
    /// before `i12-live` recompute too).
    ///
    /// The order is the providers' own: categories as the best account lists them (its
    /// `live_category_order`; categories only a lower account lists come after, in that account's
    /// order), then within a category the preferred relation's account and `num`. Users zap by number:
    /// a re-sort would be a regression.
    static func recomputePreferredChannels(_ db: Database) throws {
        guard try db.tableExists("channel") else { return }
        let served = """
            r.channel_id = channel.id AND r.stale = 0 AND a.enabled = 1
            AND NOT EXISTS (SELECT 1 FROM account_category ac
                            WHERE ac.account_id = r.account_id AND ac.category_id = r.category_id AND ac.enabled = 0)
            """
        try db.execute(sql: """
            UPDATE channel SET
              preferred_relation_id = (
                SELECT r.id FROM channel_relation r JOIN account a ON a.id = r.account_id
                WHERE \(served) ORDER BY \(AdmissionOrder.sql()), r.id LIMIT 1),
              category_ids = COALESCE((
                SELECT json_group_array(DISTINCT j.value) FROM channel_relation r JOIN account a ON a.id = r.account_id,
                  json_each(r.category_ids) j
                WHERE \(served)
                  AND NOT EXISTS (SELECT 1 FROM account_category ac
                                  WHERE ac.account_id = r.account_id AND ac.category_id = j.value AND ac.enabled = 0)), '[]');
            """)
        try recomputeServedChannels(db)
        try db.execute(sql: """
            WITH account_rank AS (
                SELECT a.id AS account_id, ROW_NUMBER() OVER (ORDER BY \(AdmissionOrder.sql())) AS n FROM account a
            ), category_rank AS (
                SELECT o.category_id AS category_id, MIN(ar.n * 1000000 + o.position) AS n
                FROM live_category_order o JOIN account_rank ar ON ar.account_id = o.account_id GROUP BY o.category_id
            ), ordered AS (
                SELECT c.id AS id, ROW_NUMBER() OVER (
                    ORDER BY COALESCE(cr.n, 9000000000000), ar.n, r.num, r.stream_id, c.id) AS n
                FROM channel c JOIN channel_relation r ON r.id = c.preferred_relation_id
                JOIN account_rank ar ON ar.account_id = r.account_id
                LEFT JOIN category_rank cr ON cr.category_id = COALESCE(r.category_id, json_extract(c.category_ids, '$[0]'))
            )
            UPDATE channel SET position = ordered.n FROM ordered WHERE ordered.id = channel.id AND channel.position != ordered.n;
            UPDATE category SET titles = counted.n FROM (
                SELECT j.value AS id, COUNT(*) AS n FROM channel t, json_each(t.category_ids) j
                WHERE t.preferred_relation_id IS NOT NULL GROUP BY j.value
            ) counted WHERE category.id = counted.id AND category.kind = 'live';
            UPDATE account_category SET titles = counted.n FROM (
                SELECT r.account_id AS account_id, j.value AS category_id, COUNT(DISTINCT r.channel_id) AS n
                FROM channel_relation r, json_each(r.category_ids) j WHERE r.stale = 0 GROUP BY r.account_id, j.value
            ) counted WHERE account_category.account_id = counted.account_id AND account_category.category_id = counted.category_id
              AND account_category.kind = 'live';
            """)
        try recomputeChannelArchive(db)
    }

    /// `channel.tv_archive` and `tv_archive_duration`: the best catch-up any live relation of the channel
    /// offers (catch-up goes to a relation that has it), kept on the channel so that `get_live_streams`
    /// of 30,000 channels reads no relation per channel. Writes only the channels whose figures change.
    /// Skipped before migration v10 adds the columns (earlier migrations recompute too).
    static func recomputeChannelArchive(_ db: Database) throws {
        guard try db.columns(in: "channel").contains(where: { $0.name == "tv_archive" }) else { return }
        try db.execute(sql: """
            UPDATE channel SET tv_archive = best.archive, tv_archive_duration = best.days FROM (
                SELECT c.id AS id, COALESCE(MAX(x.tv_archive != 0), 0) AS archive,
                       COALESCE(MAX(CASE WHEN x.tv_archive != 0 THEN x.tv_archive_duration END), 0) AS days
                FROM channel c LEFT JOIN channel_relation x ON x.channel_id = c.id AND x.stale = 0
                GROUP BY c.id
            ) best
            WHERE best.id = channel.id AND (channel.tv_archive != best.archive OR channel.tv_archive_duration != best.days)
            """)
    }

    /// The live part of `pruneStale`: stale channel relations since `cutoff` and channels left without any.
    static func pruneStaleChannels(_ db: Database, since cutoff: Int64) throws -> Int {
        guard try db.tableExists("channel") else { return 0 }
        try db.execute(sql: "DELETE FROM channel_relation WHERE stale = 1 AND stale_since <= ?", arguments: [cutoff])
        let deleted = db.changesCount
        try db.execute(sql: "DELETE FROM channel WHERE NOT EXISTS (SELECT 1 FROM channel_relation r WHERE r.channel_id = channel.id)")
        return deleted
    }
}
