import GRDB

/// A served movie or episode as the m3u playlist lists it; an episode is named after its series.
public struct PlaylistRow: KeysetRecord, Sendable {
    /// The movie's or episode's row id (the keyset).
    public var id: Int64
    public var publicID: Int64
    /// The movie's name, or the episode's series' name.
    public var name: String
    public var logo: String
    /// The category's name, or "".
    public var group: String
    public var containerExtension: String
    /// An episode's season and number; nil for a movie.
    public var season: Int?
    public var episodeNum: Int?

    public init(row: Row) throws {
        id = row["id"]
        publicID = row["public_id"]
        name = row["name"]
        logo = row["logo"]
        group = row["group_name"]
        containerExtension = row["container_extension"]
        season = row["season"]
        episodeNum = row["episode_num"]
    }
}

extension Store {
    /// One page of served movies, or of served episodes (of served series), for the playlist within
    /// `scope`, in id order after `after`.
    public func playlistPage<Output: Sendable>(
        _ kind: PlayableKind, scope: CatalogScope, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, PlaylistRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        let sql = kind == .movie
            ? """
              SELECT m.id AS id, r.name AS name, r.stream_icon AS logo, COALESCE(c.name, '') AS group_name,
                     \(scope.publicIDColumn("m", table: "movie")) AS public_id, r.container_extension AS container_extension
              FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id
              LEFT JOIN category c ON c.id = COALESCE(r.category_id, json_extract(m.category_ids, '$[0]'))
              WHERE m.id > ?\(scope.titleFilter("m"))\(scope.entryFilter("m", table: "movie")) ORDER BY m.id LIMIT ?
              """
            : """
              SELECT e.id AS id, sr.name AS name, sr.cover AS logo, COALESCE(c.name, '') AS group_name,
                     e.public_id AS public_id, r.container_extension AS container_extension, e.season AS season,
                     e.episode_num AS episode_num
              FROM episode e JOIN episode_relation r ON r.id = e.preferred_relation_id
              JOIN series s ON s.id = e.series_id JOIN series_relation sr ON sr.id = s.preferred_relation_id
              LEFT JOIN category c ON c.id = COALESCE(sr.category_id, json_extract(s.category_ids, '$[0]'))
              WHERE e.id > ?\(scope.titleFilter("s"))\(scope.entryFilter("s", table: "series")) ORDER BY e.id LIMIT ?
              """
        return try await listPage(PlaylistRow.self, sql: sql, arguments: [after, limit], after: after, into: output, add)
    }
}
