import GRDB

/// A category clients can see titles in (`get_vod_categories`, `get_series_categories`).
public struct CategoryListRow: ColumnRecord, Sendable {
    public var id: Int64
    public var name: String
}

/// A served movie as `get_vod_streams` lists it: the title and its preferred relation.
public struct VodListRow: KeysetRecord, Sendable {
    /// The movie's row id (the list's keyset), not shown to clients.
    public var id: Int64
    public var publicID: Int64
    public var name: String
    public var streamIcon: String
    public var rating: String
    public var rating5based: Double
    /// The provider's `added`, as it sent it; `firstSeen` is the fallback when it is not a timestamp.
    public var added: String
    public var firstSeen: Int64
    public var isAdult: String
    /// The relation's category, else the title's first; nil for none.
    public var categoryID: Int64?
    /// The title's category ids as a JSON array.
    public var categoryIDs: String
    public var containerExtension: String
    public var tmdb: String
    public var trailer: String
    public var year: Int64?

    static func columns(_ scope: CatalogScope) -> String { """
        m.id AS id, \(scope.publicIDColumn("m", table: "movie")) AS public_id, r.name AS name, r.stream_icon AS stream_icon, r.rating AS rating,
        r.rating_5based AS rating_5based, r.added AS added, r.first_seen AS first_seen, r.is_adult AS is_adult,
        COALESCE(r.category_id, json_extract(m.category_ids, '$[0]')) AS category_id, m.category_ids AS category_ids,
        r.container_extension AS container_extension, r.tmdb AS tmdb, r.trailer AS trailer, m.year AS year
        """
    }

    public init(row: Row) throws {
        id = row["id"]
        publicID = row["public_id"]
        name = row["name"]
        streamIcon = row["stream_icon"]
        rating = row["rating"]
        rating5based = row["rating_5based"]
        added = row["added"]
        firstSeen = row["first_seen"]
        isAdult = row["is_adult"]
        categoryID = row["category_id"]
        categoryIDs = row["category_ids"]
        containerExtension = row["container_extension"]
        tmdb = row["tmdb"]
        trailer = row["trailer"]
        year = row["year"]
    }
}

/// The columns of a series and its preferred relation that `get_series` items and `get_series_info.info`
/// both show.
public struct SeriesFields: Sendable {
    public var name: String
    public var cover: String
    public var plot: String
    public var cast: String
    public var director: String
    public var genre: String
    public var releaseDate: String
    /// The provider's `last_modified`, as it sent it; `firstSeen` is the fallback.
    public var lastModified: String
    public var firstSeen: Int64
    public var rating: String
    public var rating5based: Double
    /// A JSON array.
    public var backdropPath: String
    public var youtubeTrailer: String
    public var tmdb: String
    public var episodeRunTime: String
    public var categoryID: Int64?
    /// A JSON array.
    public var categoryIDs: String
    public var year: Int64?

    /// For a series aliased `s` joined to its relation `r`.
    static let columns = """
        r.name AS name, r.cover AS cover, r.plot AS plot, r."cast" AS "cast", r.director AS director, r.genre AS genre,
        r.release_date AS release_date, r.last_modified AS last_modified, r.first_seen AS first_seen, r.rating AS rating,
        r.rating_5based AS rating_5based, r.backdrop_path AS backdrop_path, r.youtube_trailer AS youtube_trailer,
        r.tmdb AS tmdb, r.episode_run_time AS episode_run_time,
        COALESCE(r.category_id, json_extract(s.category_ids, '$[0]')) AS category_id, s.category_ids AS category_ids,
        s.year AS year
        """

    init(row: Row) {
        name = row["name"]
        cover = row["cover"]
        plot = row["plot"]
        cast = row["cast"]
        director = row["director"]
        genre = row["genre"]
        releaseDate = row["release_date"]
        lastModified = row["last_modified"]
        firstSeen = row["first_seen"]
        rating = row["rating"]
        rating5based = row["rating_5based"]
        backdropPath = row["backdrop_path"]
        youtubeTrailer = row["youtube_trailer"]
        tmdb = row["tmdb"]
        episodeRunTime = row["episode_run_time"]
        categoryID = row["category_id"]
        categoryIDs = row["category_ids"]
        year = row["year"]
    }
}

/// A served series as `get_series` lists it.
public struct SeriesListRow: KeysetRecord, Sendable {
    /// The series' row id (the list's keyset), not shown to clients.
    public var id: Int64
    public var publicID: Int64
    public var fields: SeriesFields

    public init(row: Row) throws {
        id = row["id"]
        publicID = row["public_id"]
        fields = SeriesFields(row: row)
    }
}

extension Store {
    /// Categories of `kind` with served titles, by name, within `scope`. Reads the counts the store keeps
    /// with what is served (`category.titles`), so it costs O(categories).
    public func visibleCategories(kind: CatalogKind, scope: CatalogScope) async throws -> [CategoryListRow] {
        try await pool.read { db in
            try CategoryListRow.fetchAll(db, sql: """
                SELECT c.id AS id, c.name AS name FROM category c
                WHERE c.kind = ? AND c.titles > 0\(scope.categoryFilter("c"))
                ORDER BY c.name
                """, arguments: [kind.rawValue])
        }
    }

    /// One page of served movies (in `category`, or all) within `scope`, in id order after `after`.
    public func vodListPage<Output: Sendable>(
        scope: CatalogScope, category: Int64?, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, VodListRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await listPage(VodListRow.self, sql: """
            SELECT \(VodListRow.columns(scope))
            FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id
            WHERE m.id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(m.category_ids) WHERE value = ?2))\(scope.titleFilter("m"))\(scope.entryFilter("m", table: "movie"))
            ORDER BY m.id LIMIT ?3
            """, arguments: [after, category, limit], after: after, into: output, add)
    }

    /// One page of served series (in `category`, or all) within `scope`, in id order after `after`.
    public func seriesListPage<Output: Sendable>(
        scope: CatalogScope, category: Int64?, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, SeriesListRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await listPage(SeriesListRow.self, sql: """
            SELECT s.id AS id, \(scope.publicIDColumn("s", table: "series")) AS public_id, \(SeriesFields.columns)
            FROM series s JOIN series_relation r ON r.id = s.preferred_relation_id
            WHERE s.id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(s.category_ids) WHERE value = ?2))\(scope.titleFilter("s"))\(scope.entryFilter("s", table: "series"))
            ORDER BY s.id LIMIT ?3
            """, arguments: [after, category, limit], after: after, into: output, add)
    }
}
