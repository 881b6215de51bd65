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
        guard let row = try await store.vodInfo(publicID: publicID, scope: scope) else { return nil }
        return answer(row)
    }

    static func answer(_ row: VodInfoRow) -> Found {
        let detail = row.detail.flatMap { try? ProviderObject(json: Array($0.utf8)) }
        let info = detail?["info"]?.object.map(ProviderObject.init) ?? ProviderObject([:])
        let listed = (try? ProviderObject(json: Array(row.extra.utf8))) ?? ProviderObject([:])
        /// Detail first, then what the list said, then "".
        func text(_ keys: String...) -> String {
            for source in [info, listed] {
                for key in keys { if let value = source.fields[key]?.text, !value.isEmpty { return value } }
            }
            return ""
        }
        let name = row.name
        let seconds = info.int("duration_secs") ?? listed.int("duration_secs")
            ?? WireFields.seconds(duration: text("duration")) ?? 0
        let releaseDate = text("releasedate", "release_date", "releaseDate")
        let icon = row.streamIcon
        var json = JSONWriter(capacity: 2048)
        json.beginObject()
        json.key("info")
        json.beginObject()
        json.member("tmdb_id", row.titleTMDB ?? row.tmdb)
        json.member("name", text("name").isEmpty ? name : text("name"))
        json.member("o_name", text("o_name", "original_name").isEmpty ? name : text("o_name", "original_name"))
        json.member("cover_big", text("cover_big", "movie_image").isEmpty ? icon : text("cover_big", "movie_image"))
        json.member("movie_image", text("movie_image", "cover_big").isEmpty ? icon : text("movie_image", "cover_big"))
        json.member("releasedate", releaseDate)
        json.member("release_date", releaseDate)
        if let year = WireFields.year(info["year"]?.text, listed["year"]?.text, row.year.map(String.init),
                                      String(releaseDate.prefix(4))) {
            json.member("year", year)
        }
        json.member("youtube_trailer", text("youtube_trailer", "trailer").isEmpty ? row.trailer : text("youtube_trailer", "trailer"))
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
        json.member("rating", row.rating.isEmpty ? text("rating") : row.rating)
        json.endObject()
        json.key("movie_data")
        json.beginObject()
        json.member("stream_id", row.publicID)
        json.member("name", name)
        json.member("added", WireFields.integer(row.added, else: row.firstSeen))
        json.member("category_id", WireFields.categoryID(row.categoryID))
        json.member("category_ids", raw: row.categoryIDs)
        json.member("container_extension", row.containerExtension)
        json.member("custom_sid", "")
        json.member("direct_source", "")
        json.endObject()
        json.endObject()
        let missing = detail == nil ? (movieID: row.id, accountID: row.accountID, streamID: row.streamID) : nil
        return Found(bytes: json.bytes, missingDetail: missing)
    }
}
