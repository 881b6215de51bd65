import GRDB
import XCModels

/// One provider copy of a title, with what it takes to open it upstream.
struct StreamTarget: Sendable {
    var candidate: SlotCandidate
    var baseURL: String
    var username: String
    var password: String
    var userAgent: String?
    var streamID: Int
    var containerExtension: String
    var kind: ContentKind

    /// `{base}/movie/{user}/{pass}/{stream_id}.{ext}`, credentials percent-encoded as path segments.
    var url: String {
        baseURL + StreamPath(kind: kind, username: username, password: password, id: Int64(streamID), ext: containerExtension).path
    }
}

/// The title behind a public id and every live copy of it, in admission order.
struct StreamTitle: Sendable {
    var contentID: Int64
    var targets: [StreamTarget]

    func target(for candidate: SlotCandidate) -> StreamTarget? {
        targets.first { $0.candidate.relationID == candidate.relationID }
    }

    /// Looks up a served title by the id clients were given. Only live relations are candidates; a
    /// disabled account is passed along as such so the slot core can say why nothing has room.
    static func lookup(kind: ContentKind, publicID: Int64, store: Store, scope: CatalogScope) async throws -> StreamTitle? {
        let sql: String
        switch kind {
        case .movie:
            sql = """
                SELECT m.id, r.id, r.stream_id, r.container_extension, a.id, a.name, a.priority, a.max_connections, a.enabled,
                       a.base_url, a.username, a.password, a.user_agent
                FROM movie m JOIN movie_relation r ON r.movie_id = m.id JOIN account a ON a.id = r.account_id
                WHERE m.public_id = ? AND m.preferred_relation_id IS NOT NULL AND r.stale = 0\(scope.titleFilter("m"))
                ORDER BY a.priority DESC, a.id, r.id
                """
        case .episode:
            sql = """
                SELECT e.id, r.id, r.stream_id, r.container_extension, a.id, a.name, a.priority, a.max_connections, a.enabled,
                       a.base_url, a.username, a.password, a.user_agent
                FROM episode e JOIN episode_relation r ON r.episode_id = e.id JOIN account a ON a.id = r.account_id
                JOIN series_relation sr ON sr.id = r.series_relation_id JOIN series s ON s.id = e.series_id
                WHERE e.public_id = ? AND e.preferred_relation_id IS NOT NULL AND r.stale = 0 AND sr.stale = 0\(scope.titleFilter("s"))
                ORDER BY a.priority DESC, a.id, r.id
                """
        case .live:
            return nil
        }
        // Build Sendable values inside the closure: with a non-Sendable result (`[Row]`) the compiler
        // picks GRDB's blocking `read`, which parks a cooperative thread on the reader pool; with 2
        // cores both park and the async readers holding the pool can never resume (a deadlock).
        let title: StreamTitle? = try await store.pool.read { [sql] db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: [publicID])
            guard let first = rows.first else { return nil }
            return StreamTitle(contentID: first[0], targets: rows.map { row in
                StreamTarget(
                    candidate: SlotCandidate(accountID: row[4], accountName: row[5], relationID: row[1], priority: row[6],
                                             maxConnections: row[7], enabled: row[8]),
                    baseURL: row[9], username: row[10], password: row[11], userAgent: row[12],
                    streamID: row[2], containerExtension: row[3], kind: kind)
            })
        }
        return title
    }
}
