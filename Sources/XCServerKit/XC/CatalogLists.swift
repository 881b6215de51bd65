import GRDB
import XCModels

/// The big list answers (`get_vod_streams`, `get_series`) and the category lists.
///
/// Lists are read in id order in batches of `batchSize` rows (keyset pagination, one short read
/// transaction each), each batch encoded straight into JSON bytes and handed to the response, so a
/// 100,000-title answer never exists whole in memory and a sync can commit between batches.
enum CatalogLists {
    static let batchSize = 2000

    /// Only categories clients can see titles in: used by a served title of that kind. Reads the
    /// counts the store keeps with what is served (`category.titles`), so it costs O(categories).
    static func categories(kind: CatalogKind, store: Store, scope: CatalogScope) async throws -> [UInt8] {
        try await store.pool.read { db in
            var json = JSONWriter(capacity: 4096)
            json.beginArray()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT c.id, c.name FROM category c
                WHERE c.kind = ? AND c.titles > 0\(scope.categoryFilter("c"))
                ORDER BY c.name
                """, arguments: [kind.rawValue])
            while let row = try rows.next() {
                json.beginObject()
                json.member("category_id", String(row[0] as Int64))
                json.member("category_name", row[1] as String)
                json.member("parent_id", 0)
                json.endObject()
            }
            json.endArray()
            return json.bytes
        }
    }

    /// `year` is the title's (the provider's `year` field, else the year in its name or release date, read at
    /// import): a column, so the 100,000-row list parses no stored JSON.
    static func vodStreams(store: Store, categoryID: Int64?, scope: CatalogScope) -> StreamedBody.Producer {
        paged(store: store, sql: """
            SELECT m.id, m.public_id, r.name, r.stream_icon, r.rating, r.rating_5based, r.added, r.is_adult,
                   COALESCE(r.category_id, json_extract(m.category_ids, '$[0]')), m.category_ids, r.container_extension, r.tmdb, r.trailer,
                   r.first_seen, m.year
            FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id
            WHERE m.id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(m.category_ids) WHERE value = ?2))\(scope.titleFilter("m"))
            ORDER BY m.id LIMIT ?3
            """, categoryID: categoryID) { json, row, num in
            json.beginObject()
            json.member("num", num)
            json.member("name", row[2] as String)
            json.member("stream_type", "movie")
            json.member("stream_id", row[1] as Int64)
            json.member("stream_icon", row[3] as String)
            json.member("rating", row[4] as String)
            json.member("rating_5based", row[5] as Double)
            json.member("added", WireFields.integer(row[6], else: row[13]))
            json.member("is_adult", WireFields.integer(row[7], else: 0))
            json.member("category_id", WireFields.categoryID(row[8]))
            json.member("category_ids", raw: row[9] as String)
            json.member("container_extension", row[10] as String)
            json.member("custom_sid", "")
            json.member("direct_source", "")
            json.member("tmdb", row[11] as String)
            json.member("trailer", row[12] as String)
            if let year = WireFields.year((row[14] as Int64?).map(String.init)) { json.member("year", year) }
            json.endObject()
        }
    }

    /// Columns of a series (`s`) and its preferred relation (`r`) as `get_series` items and
    /// `get_series_info.info` show them, starting at `offset` in a row selected with `seriesColumns`.
    static let seriesColumns = """
        r.name, r.cover, r.plot, r."cast", r.director, r.genre, r.release_date, r.last_modified, r.rating,
        r.rating_5based, r.backdrop_path, r.youtube_trailer, r.tmdb, r.episode_run_time,
        COALESCE(r.category_id, json_extract(s.category_ids, '$[0]')), s.category_ids, r.first_seen, s.year
        """

    static func writeSeriesFields(_ json: inout JSONWriter, row: Row, offset o: Int) {
        json.member("cover", row[o + 1] as String)
        json.member("plot", row[o + 2] as String)
        json.member("cast", row[o + 3] as String)
        json.member("director", row[o + 4] as String)
        json.member("genre", row[o + 5] as String)
        json.member("releaseDate", row[o + 6] as String)
        json.member("release_date", row[o + 6] as String)
        json.member("last_modified", WireFields.integer(row[o + 7], else: row[o + 16]))
        json.member("rating", row[o + 8] as String)
        json.member("rating_5based", row[o + 9] as Double)
        json.member("backdrop_path", raw: row[o + 10] as String)
        json.member("youtube_trailer", row[o + 11] as String)
        json.member("tmdb", row[o + 12] as String)
        json.member("episode_run_time", row[o + 13] as String)
        json.member("category_id", WireFields.categoryID(row[o + 14]))
        json.member("category_ids", raw: row[o + 15] as String)
        if let year = WireFields.year((row[o + 17] as Int64?).map(String.init)) { json.member("year", year) }
    }

    static func series(store: Store, categoryID: Int64?, scope: CatalogScope) -> StreamedBody.Producer {
        paged(store: store, sql: """
            SELECT s.id, s.public_id, \(seriesColumns)
            FROM series s JOIN series_relation r ON r.id = s.preferred_relation_id
            WHERE s.id > ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(s.category_ids) WHERE value = ?2))\(scope.titleFilter("s"))
            ORDER BY s.id LIMIT ?3
            """, categoryID: categoryID) { json, row, num in
            json.beginObject()
            json.member("num", num)
            json.member("name", row[2] as String)
            json.member("series_id", row[1] as Int64)
            writeSeriesFields(&json, row: row, offset: 2)
            json.endObject()
        }
    }

    /// Streams `[item, item, …]` from a query whose first column is the keyset id and whose parameters
    /// are (after id, category filter, limit).
    private static func paged(
        store: Store, sql: String, categoryID: Int64?,
        item: @escaping @Sendable (inout JSONWriter, Row, Int) -> Void
    ) -> StreamedBody.Producer {
        { emit in
            var after: Int64 = 0
            var num = 0
            var first = true
            while true {
                let (bytes, last, count) = try await store.pool.read { [num, after, first] db in
                    var json = JSONWriter(capacity: 512 * batchSize)
                    if first { json.beginArray() } else { json.continueList() }
                    var last = after
                    var count = 0
                    let rows = try Row.fetchCursor(db, sql: sql, arguments: [after, categoryID, batchSize])
                    while let row = try rows.next() {
                        count += 1
                        last = row[0]
                        item(&json, row, num + count)
                    }
                    if count < batchSize { json.endArray() }
                    return (json.bytes, last, count)
                }
                try await emit(bytes)
                if count < batchSize { return }
                first = false
                num += count
                after = last
            }
        }
    }
}
