import GRDB
import Sync
import XCModels

/// `get_vod_info`: answered from the store at once; detail the provider has but we do not yet is
/// fetched in the background (see `DetailFetcher`) and shows up on a later request.
enum VodInfoAnswer {
    /// Unknown or missing id: both keys present, so clients that index them do not crash.
    static let unknown: [UInt8] = Array(#"{"info":{},"movie_data":{}}"#.utf8)

    struct Found: Sendable {
        var bytes: [UInt8]
        /// Set when the detail is missing: (movie row id, account id, provider stream id).
        var missingDetail: (movieID: Int64, accountID: Int64, streamID: Int)?
    }

    static func answer(publicID: Int64, store: Store, scope: CatalogScope) async throws -> Found? {
        try await store.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT m.id, m.public_id, m.tmdb, m.detail, r.account_id, r.stream_id, r.name, r.stream_icon, r.rating,
                       r.added, COALESCE(r.category_id, json_extract(m.category_ids, '$[0]')), m.category_ids, r.container_extension, r.tmdb, r.trailer, r.extra,
                       m.year, r.first_seen
                FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id
                WHERE m.public_id = ?\(scope.titleFilter("m"))
                """, arguments: [publicID])
            else { return nil }
            let detail = (row[3] as String?).flatMap { try? ProviderObject(json: Array($0.utf8)) }
            let info = detail?["info"]?.object.map(ProviderObject.init) ?? ProviderObject([:])
            let listed = (try? ProviderObject(json: Array((row[15] as String).utf8))) ?? ProviderObject([:])
            /// Detail first, then what the list said, then "".
            func text(_ keys: String...) -> String {
                for source in [info, listed] {
                    for key in keys { if let value = source.fields[key]?.text, !value.isEmpty { return value } }
                }
                return ""
            }
            let name = row[6] as String
            let seconds = info.int("duration_secs") ?? listed.int("duration_secs")
                ?? WireFields.seconds(duration: text("duration")) ?? 0
            let releaseDate = text("releasedate", "release_date", "releaseDate")
            let icon = row[7] as String
            var json = JSONWriter(capacity: 2048)
            json.beginObject()
            json.key("info")
            json.beginObject()
            json.member("tmdb_id", (row[2] as String?) ?? (row[13] as String))
            json.member("name", text("name").isEmpty ? name : text("name"))
            json.member("o_name", text("o_name", "original_name").isEmpty ? name : text("o_name", "original_name"))
            json.member("cover_big", text("cover_big", "movie_image").isEmpty ? icon : text("cover_big", "movie_image"))
            json.member("movie_image", text("movie_image", "cover_big").isEmpty ? icon : text("movie_image", "cover_big"))
            json.member("releasedate", releaseDate)
            json.member("release_date", releaseDate)
            if let year = WireFields.year(info["year"]?.text, listed["year"]?.text, (row[16] as Int64?).map(String.init),
                                          String(releaseDate.prefix(4))) {
                json.member("year", year)
            }
            json.member("youtube_trailer", text("youtube_trailer", "trailer").isEmpty ? row[14] : text("youtube_trailer", "trailer"))
            json.member("director", text("director"))
            json.member("actors", text("actors", "cast"))
            json.member("cast", text("cast", "actors"))
            json.member("description", text("description", "plot"))
            json.member("plot", text("plot", "description"))
            json.member("age", text("age", "mpaa_rating"))
            json.member("country", text("country"))
            json.member("genre", text("genre"))
            json.key("backdrop_path")
            json.raw(ProviderValue.array((info.stringList("backdrop_path").isEmpty ? listed : info)
                .stringList("backdrop_path").map(ProviderValue.string)).jsonText)
            json.member("duration_secs", seconds)
            json.member("duration", text("duration").isEmpty ? WireFields.duration(seconds: seconds) : text("duration"))
            json.member("video", raw: info["video"]?.object.map { ProviderValue.object($0).jsonText } ?? "{}")
            json.member("audio", raw: info["audio"]?.object.map { ProviderValue.object($0).jsonText } ?? "{}")
            json.member("bitrate", info.int("bitrate") ?? 0)
            json.member("rating", (row[8] as String).isEmpty ? text("rating") : row[8])
            json.endObject()
            json.key("movie_data")
            json.beginObject()
            json.member("stream_id", row[1] as Int64)
            json.member("name", name)
            json.member("added", WireFields.integer(row[9], else: row[17]))
            json.member("category_id", WireFields.categoryID(row[10]))
            json.member("category_ids", raw: row[11] as String)
            json.member("container_extension", row[12] as String)
            json.member("custom_sid", "")
            json.member("direct_source", "")
            json.endObject()
            json.endObject()
            let missing = detail == nil ? (movieID: row[0] as Int64, accountID: row[4] as Int64, streamID: row[5] as Int) : nil
            return Found(bytes: json.bytes, missingDetail: missing)
        }
    }
}
