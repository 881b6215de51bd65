import GRDB

extension Store {
    /// Chooses, for every title, the relation clients see: live (not stale), on an enabled account, in a
    /// category that account has not disabled; highest account priority first, then the older account,
    /// then the older relation. A title with no such relation gets NULL and is not served. The title's
    /// categories become the union of those relations' categories (Heat is Action in one account and
    /// Drama in another: clients find it in both), less every category the relation's account disabled:
    /// Hot Fuzz, Action and Comedy in alpha, stays served through Action when alpha's Comedy is off, but
    /// is no longer in Comedy. Then the category counts (`recomputeCategoryCounts`).
    ///
    /// One bulk statement per table is cheaper than keeping this right row by row during an import, and it
    /// makes the choice a pure function of the relations, so it cannot drift. Only the titles whose choice
    /// changed are written (the choice is computed once per title, `MATERIALIZED`, then compared): a
    /// re-sync that changed nothing rewrites no title (docs/list-sync.md, "Write only what changes").
    /// Returns the number of titles written.
    @discardableResult
    static func recomputePreferredRelations(_ db: Database) throws -> Int {
        var written = 0
        for (title, relation, key) in [("movie", "movie_relation", "movie_id"), ("series", "series_relation", "series_id")] {
            let served = """
                r.\(key) = t.id AND r.stale = 0 AND a.enabled = 1
                AND NOT EXISTS (SELECT 1 FROM account_category ac
                                WHERE ac.account_id = r.account_id AND ac.category_id = r.category_id AND ac.enabled = 0)
                """
            try db.execute(sql: """
                WITH chosen AS MATERIALIZED (
                  SELECT t.id,
                    (SELECT r.id FROM \(relation) r JOIN account a ON a.id = r.account_id
                     WHERE \(served) ORDER BY \(AdmissionOrder.sql()), r.id LIMIT 1) AS relation,
                    COALESCE((
                      SELECT json_group_array(DISTINCT j.value) FROM \(relation) r JOIN account a ON a.id = r.account_id,
                        json_each(r.category_ids) j
                      WHERE \(served)
                        AND NOT EXISTS (SELECT 1 FROM account_category ac
                                        WHERE ac.account_id = r.account_id AND ac.category_id = j.value AND ac.enabled = 0)), '[]')
                      AS categories
                  FROM \(title) t)
                UPDATE \(title) SET preferred_relation_id = chosen.relation, category_ids = chosen.categories
                FROM chosen
                WHERE \(title).id = chosen.id
                  AND (\(title).preferred_relation_id IS NOT chosen.relation OR \(title).category_ids IS NOT chosen.categories)
                """)
            written += db.changesCount
        }
        try recomputePreferredEpisodes(db, seriesID: nil)
        try recomputeCategoryCounts(db)
        try recomputePreferredChannels(db)
        return written
    }

    /// `category.titles` (served titles clients find in it) and `account_category.titles` (titles the
    /// account holds live relations for in it, served or not), from the titles' and relations'
    /// `category_ids`. Run with every change of what is served, in its transaction, so category lists
    /// read counts that are never stale and never count titles themselves.
    static func recomputeCategoryCounts(_ db: Database) throws {
        try db.execute(sql: """
            UPDATE category SET titles = 0 WHERE titles != 0;
            UPDATE category SET titles = counted.n FROM (
                SELECT j.value AS id, COUNT(*) AS n FROM movie t, json_each(t.category_ids) j
                WHERE t.preferred_relation_id IS NOT NULL GROUP BY j.value
                UNION ALL
                SELECT j.value, COUNT(*) FROM series t, json_each(t.category_ids) j
                WHERE t.preferred_relation_id IS NOT NULL GROUP BY j.value
            ) counted WHERE category.id = counted.id;
            UPDATE account_category SET titles = 0 WHERE titles != 0;
            UPDATE account_category SET titles = counted.n FROM (
                SELECT r.account_id AS account_id, j.value AS category_id, COUNT(DISTINCT r.movie_id) AS n
                FROM movie_relation r, json_each(r.category_ids) j WHERE r.stale = 0 GROUP BY r.account_id, j.value
                UNION ALL
                SELECT r.account_id, j.value, COUNT(DISTINCT r.series_id)
                FROM series_relation r, json_each(r.category_ids) j WHERE r.stale = 0 GROUP BY r.account_id, j.value
            ) counted WHERE account_category.account_id = counted.account_id AND account_category.category_id = counted.category_id;
            """)
    }

    /// The episode part of `recomputePreferredRelations`, optionally for one series only (after an
    /// on-demand fetch of its episodes).
    static func recomputePreferredEpisodes(_ db: Database, seriesID: Int64?) throws {
        try db.execute(sql: """
            UPDATE episode SET preferred_relation_id = (
                SELECT r.id FROM episode_relation r
                JOIN account a ON a.id = r.account_id
                JOIN series_relation sr ON sr.id = r.series_relation_id
                WHERE r.episode_id = episode.id AND r.stale = 0 AND sr.stale = 0 AND a.enabled = 1
                ORDER BY \(AdmissionOrder.sql()), r.id LIMIT 1)
            WHERE ?1 IS NULL OR series_id = ?1
            """, arguments: [seriesID])
    }

    /// Re-chooses what is served; returns the number of films and series whose choice changed.
    @discardableResult
    public func recomputePreferredRelations() async throws -> Int {
        try await pool.write { db in try Self.recomputePreferredRelations(db) }
    }

    /// The channels' part alone, for a sync between an account's live list and its guide (the guide is
    /// matched to served channels): the titles' part rewrites every film and series and is left to the
    /// end of the sync.
    public func recomputePreferredChannels() async throws {
        try await pool.write { db in try Self.recomputePreferredChannels(db) }
    }
}
