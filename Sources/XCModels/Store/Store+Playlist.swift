import GRDB

/// A served movie as the m3u playlist lists it.
public struct PlaylistMovieRow: KeysetRecord, Sendable {
    /// The movie's row id (the keyset).
    public var id: Int64
    public var publicID: Int64
    public var name: String
    public var logo: String
    /// The category's name, or "".
    public var group: String
    public var containerExtension: String

    public init(row: Row) throws {
        id = row["id"]
        publicID = row["public_id"]
        name = row["name"]
        logo = row["logo"]
        group = row["group_name"]
        containerExtension = row["container_extension"]
    }
}

/// A served episode as the m3u playlist lists it: named after its series.
public struct PlaylistEpisodeRow: KeysetRecord, Sendable {
    /// The episode's row id (the keyset).
    public var id: Int64
    public var publicID: Int64
    public var seriesName: String
    public var logo: String
    /// The series' category name, or "".
    public var group: String
    public var containerExtension: String
    public var season: Int
    public var episodeNum: Int

    public init(row: Row) throws {
        id = row["id"]
        publicID = row["public_id"]
        seriesName = row["series_name"]
        logo = row["logo"]
        group = row["group_name"]
        containerExtension = row["container_extension"]
        season = row["season"]
        episodeNum = row["episode_num"]
    }
}

extension Store {
    /// One page of served movies for the playlist within `scope`, in id order after `after`.
    public func playlistMoviePage<Output: Sendable>(
        scope: CatalogScope, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, PlaylistMovieRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await listPage(PlaylistMovieRow.self, sql: """
            SELECT m.id AS id, r.name AS name, r.stream_icon AS logo, COALESCE(c.name, '') AS group_name,
                   \(scope.publicIDColumn("m", table: "movie")) AS public_id, r.container_extension AS container_extension
            FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id
            LEFT JOIN category c ON c.id = COALESCE(r.category_id, json_extract(m.category_ids, '$[0]'))
            WHERE m.id > ?\(scope.titleFilter("m"))\(scope.entryFilter("m", table: "movie")) ORDER BY m.id LIMIT ?
            """, arguments: [after, limit], after: after, into: output, add)
    }

    /// One page of served episodes (of served series) for the playlist within `scope`, in id order after `after`.
    public func playlistEpisodePage<Output: Sendable>(
        scope: CatalogScope, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, PlaylistEpisodeRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await listPage(PlaylistEpisodeRow.self, sql: """
            SELECT e.id AS id, sr.name AS series_name, sr.cover AS logo, COALESCE(c.name, '') AS group_name,
                   e.public_id AS public_id, r.container_extension AS container_extension, e.season AS season,
                   e.episode_num AS episode_num
            FROM episode e JOIN episode_relation r ON r.id = e.preferred_relation_id
            JOIN series s ON s.id = e.series_id JOIN series_relation sr ON sr.id = s.preferred_relation_id
            LEFT JOIN category c ON c.id = COALESCE(sr.category_id, json_extract(s.category_ids, '$[0]'))
            WHERE e.id > ?\(scope.titleFilter("s"))\(scope.entryFilter("s", table: "series")) ORDER BY e.id LIMIT ?
            """, arguments: [after, limit], after: after, into: output, add)
    }
}
