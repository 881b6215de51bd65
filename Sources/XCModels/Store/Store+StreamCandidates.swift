import GRDB

/// What a stream path names: a movie or an episode.
public enum PlayableKind: Sendable {
    case movie, episode
}

/// One live provider copy of a served title, with its account and what it takes to open it upstream.
public struct StreamCandidateRow: ColumnRecord, Sendable {
    /// The title's row id (movie or episode).
    public var contentID: Int64
    public var relationID: Int64
    public var streamID: Int
    public var containerExtension: String
    public var accountID: Int64
    public var accountName: String
    public var priority: Int
    /// The limit admission counts against: the account's own, or its capacity group's (`CapacityGroup`).
    public var maxConnections: Int
    /// The account's capacity group, nil when it has none.
    public var capacityGroup: String?
    public var enabled: Bool
    public var baseURL: String
    public var username: String
    public var password: String
    public var userAgent: String?
    /// The login's preference for this copy's variant, lower first (0 for every copy in the `all` view).
    public var variantRank: Int
    /// The entry (variant) this copy belongs to: its public id as `all` shows it and its variant key.
    public var entryPublicID: Int64
    public var variantKey: String
    public var socketLimit: SocketLimit

    /// The account columns of every candidate query, for an `account` aliased `a`: what the slot core
    /// needs (with the capacity group's limit as `max_connections`) and what opening the stream upstream needs.
    static let accountColumns = """
        a.id AS account_id, a.name AS account_name, a.priority AS priority,
        \(CapacityGroup.limitSQL()) AS max_connections, a.capacity_group AS capacity_group,
        a.enabled AS enabled, a.base_url AS base_url, a.username AS username, a.password AS password,
        a.user_agent AS user_agent, a.socket_limit AS socket_limit
        """
}

extension Store {
    /// Every live copy of the served title of `kind` clients know as `publicID`, within `scope`, in
    /// variant preference then admission order (then relation id); empty when there is no such title. A
    /// disabled account's copy is included as such, so the slot core can say why nothing has room.
    /// In the `all` view these are the copies of one entry; in `best` those of every entry of the title
    /// the login may see, and `content_id` is the title's (so a viewing stays one viewing whichever
    /// variant serves it). An episode's siblings are the same season and number in the title's other
    /// series entries.
    public func streamCandidates(kind: PlayableKind, publicID: Int64, scope: CatalogScope) async throws -> [StreamCandidateRow] {
        let columns = """
            r.id AS relation_id, r.stream_id AS stream_id, r.container_extension AS container_extension,
            \(StreamCandidateRow.accountColumns)
            """
        let sql: String
        let best = scope.variants.mode == .best
        switch kind {
        case .movie:
            let served = "m.preferred_relation_id IS NOT NULL AND r.stale = 0\(scope.qualityLimit("m"))\(scope.titleFilter("m"))"
            sql = """
                SELECT \(best ? "m.title_id" : "m.id") AS content_id, \(best ? scope.rankSQL("m") : "0") AS variant_rank,
                       m.public_id AS entry_public_id, m.variant_key AS variant_key, \(columns)
                FROM movie m JOIN movie_relation r ON r.movie_id = m.id JOIN account a ON a.id = r.account_id
                WHERE \(best ? "m.title_id = (SELECT p.title_id FROM movie p WHERE p.public_id = ?)" : "m.public_id = ?") AND \(served)
                ORDER BY variant_rank, \(AdmissionOrder.sql()), r.id
                """
        case .episode:
            let served = """
                e.preferred_relation_id IS NOT NULL AND r.stale = 0 AND sr.stale = 0 AND s.preferred_relation_id IS NOT NULL\
                \(scope.qualityLimit("s"))\(scope.titleFilter("s"))
                """
            // In `best`, `e0` is the episode asked for and `e` the same episode in each series entry of its
            // title; in `e0`'s own entry only `e0` (another copy of that number there is another file).
            let episodes = best
                ? """
                  episode e0 JOIN series s0 ON s0.id = e0.series_id JOIN series s ON s.title_id = s0.title_id
                  JOIN episode e ON e.series_id = s.id AND e.season = e0.season AND e.episode_num = e0.episode_num
                    AND (e.id = e0.id OR e.series_id != e0.series_id)
                  """
                : "episode e JOIN series s ON s.id = e.series_id"
            sql = """
                SELECT \(best ? "e0.id" : "e.id") AS content_id, \(best ? scope.rankSQL("s") : "0") AS variant_rank,
                       s.public_id AS entry_public_id, s.variant_key AS variant_key, \(columns)
                FROM \(episodes) JOIN episode_relation r ON r.episode_id = e.id JOIN account a ON a.id = r.account_id
                JOIN series_relation sr ON sr.id = r.series_relation_id
                WHERE \(best ? "e0" : "e").public_id = ? AND \(served)
                ORDER BY variant_rank, \(AdmissionOrder.sql()), r.id
                """
        }
        return try await pool.read { [sql] db in
            try StreamCandidateRow.fetchAll(db, sql: sql, arguments: [publicID])
        }
    }
}

extension Store {
    /// Detection (docs/sockets.md): the account refused a second socket of an admitted viewing, so it counts
    /// sockets. Returns true when this call changed it (so the caller logs it once).
    @discardableResult
    public func markSocketsStrict(accountID: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE account SET socket_limit = 'strict' WHERE id = ? AND socket_limit != 'strict'",
                           arguments: [accountID])
            return db.changesCount > 0
        }
    }
}
