import Foundation
import GRDB

/// A served movie with its preferred relation, as `get_vod_info` answers it.
public struct VodInfoRow: ColumnRecord, Sendable {
    /// The movie's row id.
    public var id: Int64
    public var publicID: Int64
    /// The title's TMDB id (from the detail), else nil.
    public var titleTMDB: String?
    /// The stored `get_vod_info` answer of the provider, nil until fetched.
    public var detail: String?
    public var accountID: Int64
    public var streamID: Int
    public var name: String
    public var streamIcon: String
    public var rating: String
    public var added: String
    public var firstSeen: Int64
    public var categoryID: Int64?
    /// A JSON array.
    public var categoryIDs: String
    public var containerExtension: String
    /// The relation's TMDB id as listed.
    public var tmdb: String
    public var trailer: String
    /// The list item's other fields, a JSON object.
    public var extra: String
    public var year: Int64?
}

/// A served series, and whether any of its live relations still lacks fetched episodes.
public struct ServedSeries: Sendable {
    public var seriesID: Int64
    public var unfetched: Bool
}

/// A served series as `get_series_info` answers it.
public struct SeriesInfoRow: Sendable {
    public var id: Int64
    /// The provider's `seasons`, a JSON array.
    public var seasons: String
    public var fields: SeriesFields
}

/// A served episode of a series, as `get_series_info` lists it.
public struct EpisodeInfoRow: ColumnRecord, Sendable {
    public var publicID: Int64
    public var season: Int
    public var episodeNum: Int
    public var containerExtension: String
    public var title: String
    public var added: String
    public var firstSeen: Int64
    public var customSID: String
    public var directSource: String
    /// The provider's episode `info`, a JSON object.
    public var info: String
}

extension Store {
    /// The served movie clients know as `publicID`, within `scope`.
    public func vodInfo(publicID: Int64, scope: CatalogScope) async throws -> VodInfoRow? {
        try await pool.read { db in
            try VodInfoRow.fetchOne(db, sql: """
                SELECT m.id AS id, \(scope.publicIDColumn("m", table: "movie")) AS public_id, m.tmdb AS title_tmdb, m.detail AS detail,
                       r.account_id AS account_id, r.stream_id AS stream_id, r.name AS name, r.stream_icon AS stream_icon,
                       r.rating AS rating, r.added AS added, r.first_seen AS first_seen,
                       COALESCE(r.category_id, json_extract(m.category_ids, '$[0]')) AS category_id,
                       m.category_ids AS category_ids, r.container_extension AS container_extension, r.tmdb AS tmdb,
                       r.trailer AS trailer, r.extra AS extra, m.year AS year
                FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id
                WHERE \(scope.entryByPublicID("m", table: "movie"))\(scope.titleFilter("m"))
                """, arguments: [publicID])
        }
    }

    /// Whether the provider's detail of movie `movieID` is stored.
    public func movieDetailFetched(movieID: Int64) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT detail_fetched_at IS NOT NULL FROM movie WHERE id = ?", arguments: [movieID]) ?? false
        }
    }

    /// Stores the provider's `get_vod_info` answer (`json`) as the detail of movie `movieID`.
    public func storeMovieDetail(movieID: Int64, json: String, fetchedAt: Date = Date()) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE movie SET detail = ?, detail_fetched_at = ? WHERE id = ?",
                           arguments: [json, Int64(fetchedAt.timeIntervalSince1970), movieID])
        }
    }

    /// The served series clients know as `publicID`, within `scope`.
    public func servedSeries(publicID: Int64, scope: CatalogScope) async throws -> ServedSeries? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.id AS id,
                       EXISTS (SELECT 1 FROM series_relation r WHERE r.series_id = s.id AND r.stale = 0 AND r.info_fetched_at IS NULL) AS unfetched
                FROM series s WHERE \(scope.entryByPublicID("s", table: "series")) AND s.preferred_relation_id IS NOT NULL\(scope.titleFilter("s"))
                """, arguments: [publicID])
            else { return nil }
            return ServedSeries(seriesID: row["id"], unfetched: row["unfetched"])
        }
    }

    /// The series entry `seriesID` (see `servedSeries`) with its served episodes by season and number, read together.
    public func seriesInfo(seriesID: Int64) async throws -> (series: SeriesInfoRow, episodes: [EpisodeInfoRow])? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.id AS id, r.seasons AS seasons, \(SeriesFields.columns)
                FROM series s JOIN series_relation r ON r.id = s.preferred_relation_id WHERE s.id = ?
                """, arguments: [seriesID])
            else { return nil }
            let series = SeriesInfoRow(id: row["id"], seasons: row["seasons"], fields: SeriesFields(row: row))
            let episodes = try EpisodeInfoRow.fetchAll(db, sql: """
                SELECT e.public_id AS public_id, e.season AS season, e.episode_num AS episode_num,
                       r.container_extension AS container_extension, r.title AS title, r.added AS added,
                       r.custom_sid AS custom_sid, r.direct_source AS direct_source, r.info AS info, r.first_seen AS first_seen
                FROM episode e JOIN episode_relation r ON r.id = e.preferred_relation_id
                WHERE e.series_id = ? ORDER BY e.season, e.episode_num
                """, arguments: [series.id])
            return (series, episodes)
        }
    }
}
