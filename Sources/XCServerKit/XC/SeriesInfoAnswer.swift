import Sync
import XCModels

/// `get_series_info`: the series, its seasons and its episodes, each episode listed once with the
/// public id (the preferred account's stream id) that `/series/U/P/ID.EXT` resolves.
enum SeriesInfoAnswer {
    static let unknown: [UInt8] = Array(#"{"seasons":[],"info":{},"episodes":{}}"#.utf8)

    /// The row id of a served series, and whether any of its relations still lacks fetched episodes.
    static func lookup(publicID: Int64, store: Store, scope: CatalogScope) async throws -> ServedSeries? {
        try await store.servedSeries(publicID: publicID, scope: scope)
    }

    static func answer(seriesID: Int64, store: Store) async throws -> [UInt8]? {
        guard let (series, episodes) = try await store.seriesInfo(seriesID: seriesID) else { return nil }
        let bySeason = Dictionary(grouping: episodes, by: \.season)
        let cover = series.fields.cover

        var json = JSONWriter(capacity: 4096 + episodes.count * 512)
        json.beginObject()
        json.key("seasons")
        writeSeasons(&json, stored: series.seasons, episodeCounts: bySeason.mapValues(\.count), cover: cover)
        json.key("info")
        json.beginObject()
        json.member("name", series.fields.name)
        CatalogLists.writeSeriesFields(&json, series.fields)
        json.endObject()
        json.key("episodes")
        json.beginObject()
        for season in bySeason.keys.sorted() {
            json.dynamicKey(String(season))
            json.beginArray()
            for episode in bySeason[season]! { writeEpisode(&json, episode, cover: cover) }
            json.endArray()
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// The provider's seasons, normalized, plus one synthesized entry for every season that has
    /// episodes but no provider entry (providers often send `seasons: []`).
    private static func writeSeasons(_ json: inout JSONWriter, stored: String, episodeCounts: [Int: Int], cover: String) {
        let provided = ((try? ProviderValue.parse(stored))?.array ?? []).compactMap(\.object).map(ProviderObject.init)
        var written = Set<Int>()
        json.beginArray()
        for season in provided {
            guard let number = season.int("season_number", "season") else { continue }
            guard written.insert(number).inserted else { continue }
            let seasonCover = season.string("cover", "cover_big")
            json.beginObject()
            json.member("air_date", season.string("air_date"))
            json.member("episode_count", season.int("episode_count") ?? episodeCounts[number] ?? 0)
            json.member("id", season.int("id") ?? number)
            json.member("name", season.string("name").isEmpty ? "Season \(number)" : season.string("name"))
            json.member("overview", season.string("overview"))
            json.member("season_number", number)
            json.member("vote_average", season.double("vote_average") ?? 0)
            json.member("cover", seasonCover.isEmpty ? cover : seasonCover)
            json.member("cover_big", season.string("cover_big", "cover").isEmpty ? cover : season.string("cover_big", "cover"))
            json.endObject()
        }
        for number in episodeCounts.keys.sorted() where !written.contains(number) {
            json.beginObject()
            json.member("air_date", "")
            json.member("episode_count", episodeCounts[number]!)
            json.member("id", number)
            json.member("name", number == 0 ? "Specials" : "Season \(number)")
            json.member("overview", "")
            json.member("season_number", number)
            json.member("vote_average", 0)
            json.member("cover", cover)
            json.member("cover_big", cover)
            json.endObject()
        }
        json.endArray()
    }

    private static func writeEpisode(_ json: inout JSONWriter, _ row: EpisodeInfoRow, cover: String) {
        let season = row.season
        let info = (try? ProviderObject(json: Array(row.info.utf8))) ?? ProviderObject([:])
        json.beginObject()
        json.member("id", String(row.publicID))
        json.member("episode_num", row.episodeNum)
        json.member("title", row.title)
        json.member("container_extension", row.containerExtension)
        json.key("info")
        json.beginObject()
        json.member("tmdb_id", info.int("tmdb_id", "tmdb") ?? 0)
        json.member("releasedate", info.string("releasedate", "release_date", "air_date"))
        json.member("plot", info.string("plot", "overview"))
        let seconds = info.int("duration_secs") ?? WireFields.seconds(duration: info.string("duration")) ?? 0
        json.member("duration_secs", seconds)
        json.member("duration", info.string("duration").isEmpty ? WireFields.duration(seconds: seconds) : info.string("duration"))
        json.member("movie_image", info.string("movie_image", "cover_big").isEmpty ? cover : info.string("movie_image", "cover_big"))
        json.member("bitrate", info.int("bitrate") ?? 0)
        json.member("rating", info.string("rating"))
        json.member("season", String(season))
        json.member("cover_big", info.string("cover_big", "movie_image").isEmpty ? cover : info.string("cover_big", "movie_image"))
        json.endObject()
        json.member("custom_sid", row.customSID)
        json.member("added", WireFields.integer(row.added, else: row.firstSeen))
        json.member("season", season)
        json.member("direct_source", row.directSource)
        json.endObject()
    }
}
