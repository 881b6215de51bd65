import GRDB

/// What a stream path names: a movie or an episode.
public enum PlayableKind: Sendable {
    case movie, episode
}

/// One live provider copy of a served title, with its account and what it takes to open it upstream.
public struct StreamCandidateRow: FetchableRecord, Sendable {
    /// The title's row id (movie or episode).
    public var contentID: Int64
    public var relationID: Int64
    public var streamID: Int
    public var containerExtension: String
    public var accountID: Int64
    public var accountName: String
    public var priority: Int
    public var maxConnections: Int
    public var enabled: Bool
    public var baseURL: String
    public var username: String
    public var password: String
    public var userAgent: String?
    public var socketLimit: SocketLimit

    public init(row: Row) throws {
        contentID = row["content_id"]
        relationID = row["relation_id"]
        streamID = row["stream_id"]
        containerExtension = row["container_extension"]
        accountID = row["account_id"]
        accountName = row["account_name"]
        priority = row["priority"]
        maxConnections = row["max_connections"]
        enabled = row["enabled"]
        baseURL = row["base_url"]
        username = row["username"]
        password = row["password"]
        userAgent = row["user_agent"]
        socketLimit = row["socket_limit"] ?? .default
    }
}

extension Store {
    /// Every live copy of the served title of `kind` clients know as `publicID`, within `scope`, in
    /// admission order (then relation id); empty when there is no such title. A disabled account's copy
    /// is included as such, so the slot core can say why nothing has room.
    public func streamCandidates(kind: PlayableKind, publicID: Int64, scope: CatalogScope) async throws -> [StreamCandidateRow] {
        let columns = """
            r.id AS relation_id, r.stream_id AS stream_id, r.container_extension AS container_extension,
            a.id AS account_id, a.name AS account_name, a.priority AS priority, a.max_connections AS max_connections,
            a.enabled AS enabled, a.base_url AS base_url, a.username AS username, a.password AS password,
            a.user_agent AS user_agent, a.socket_limit AS socket_limit
            """
        let sql: String
        switch kind {
        case .movie:
            sql = """
                SELECT m.id AS content_id, \(columns)
                FROM movie m JOIN movie_relation r ON r.movie_id = m.id JOIN account a ON a.id = r.account_id
                WHERE m.public_id = ? AND m.preferred_relation_id IS NOT NULL AND r.stale = 0\(scope.titleFilter("m"))
                ORDER BY \(AdmissionOrder.sql()), r.id
                """
        case .episode:
            sql = """
                SELECT e.id AS content_id, \(columns)
                FROM episode e JOIN episode_relation r ON r.episode_id = e.id JOIN account a ON a.id = r.account_id
                JOIN series_relation sr ON sr.id = r.series_relation_id JOIN series s ON s.id = e.series_id
                WHERE e.public_id = ? AND e.preferred_relation_id IS NOT NULL AND r.stale = 0 AND sr.stale = 0\(scope.titleFilter("s"))
                ORDER BY \(AdmissionOrder.sql()), r.id
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
