import DemoProvider
import NIOCore

/// Id arithmetic of ``FixtureCatalog/generated(movies:series:episodesPerSeries:seed:idOffset:)``,
/// so a benchmark can build stream URLs without parsing the lists.
///
/// - movie `i` (0-based): `stream_id = idOffset + 1 + i`
/// - series `j`: `series_id = idOffset + 1 + j`
/// - episode `k` of series `j`: `id = idOffset + movies + 1 + j * episodesPerSeries + k`,
///   season `k / 10 + 1`, `episode_num` `k % 10 + 1`
///
/// Names, years and tmdb ids depend on the index only (not on the seed), so two generated catalogs
/// with different seeds hold the same titles (they dedup across accounts) under differently decorated
/// names ("EN - ", "|EN| ", " 4K"...). Every 10th movie and series has `tmdb: ""` (dedup falls back to name+year).
public struct GeneratedCatalogLayout: Sendable, Equatable {
    public let movies: Int
    public let series: Int
    public let episodesPerSeries: Int
    public let seed: UInt64
    public let idOffset: Int
    /// Whether movies get variant copies (`GeneratedVariants.swift`).
    public let variants: Bool

    public init(movies: Int, series: Int, episodesPerSeries: Int, seed: UInt64, idOffset: Int = 0, variants: Bool = false) {
        self.variants = variants
        self.movies = max(0, movies)
        self.series = max(0, series)
        self.episodesPerSeries = max(0, episodesPerSeries)
        self.seed = seed
        self.idOffset = idOffset
    }

    public func movieID(_ index: Int) -> Int { idOffset + 1 + index }
    public func seriesID(_ index: Int) -> Int { idOffset + 1 + index }
    public func episodeID(series index: Int, episode: Int) -> Int {
        idOffset + movies + 1 + index * episodesPerSeries + episode
    }

    public func movieIndex(ofStreamID id: Int) -> Int? {
        let index = id - idOffset - 1
        return (0 ..< movies).contains(index) ? index : nil
    }

    public func seriesIndex(ofSeriesID id: Int) -> Int? {
        let index = id - idOffset - 1
        return (0 ..< series).contains(index) ? index : nil
    }

    /// (series index, episode index) of an episode id.
    public func episodeIndex(ofEpisodeID id: Int) -> (series: Int, episode: Int)? {
        guard episodesPerSeries > 0 else { return nil }
        let flat = id - idOffset - movies - 1
        guard flat >= 0, flat < series * episodesPerSeries else { return nil }
        return (flat / episodesPerSeries, flat % episodesPerSeries)
    }

    public var episodeCount: Int { series * episodesPerSeries }

    static let vodGenres = ["Action", "Comedy", "Drama", "Horror", "Sci-Fi", "Documentary", "Animation", "Thriller", "Romance", "Family"]
    static let seriesGenres = ["Drama", "Comedy", "Crime", "Sci-Fi", "Kids"]
    static let adjectives = [
        "Silent", "Crimson", "Broken", "Hidden", "Last", "Golden", "Dark", "Frozen", "Electric", "Lost",
        "Savage", "Quiet", "Burning", "Distant", "Iron", "Velvet", "Hollow", "Wild", "Secret", "Endless",
    ]
    static let nouns = [
        "River", "Empire", "Horizon", "Garden", "Signal", "Harbor", "Machine", "Kingdom", "Shadow", "Voyage",
        "Protocol", "Orchard", "Frontier", "Mirror", "Citadel", "Echo", "Lantern", "Summit", "Tide", "Witness",
    ]
    static let prefixes = ["", "EN - ", "|EN| ", "[EN] "]
    static let suffixes = ["", " 4K", " 1080p", "", " HD"]

    func movieName(_ i: Int) -> String {
        let variant = MediaBytes.mix(seed ^ UInt64(i))
        let base = "\(Self.adjectives[i % 20]) \(Self.nouns[(i / 20) % 20]) \(i / 400 + 1)"
        return "\(Self.prefixes[Int(variant % 4)])\(base) (\(movieYear(i)))\(Self.suffixes[Int((variant >> 8) % 5)])"
    }

    func movieYear(_ i: Int) -> Int { 1950 + (i * 7) % 75 }
    func movieTMDB(_ i: Int) -> String { i % 10 == 0 ? "" : String(100_000 + i) }

    func seriesName(_ j: Int) -> String {
        let variant = MediaBytes.mix(seed ^ UInt64(j) ^ 0x5E51E5)
        let base = "The \(Self.adjectives[(j / 20) % 20]) \(Self.nouns[j % 20]) Files \(j / 400 + 1)"
        return "\(Self.prefixes[Int(variant % 4)])\(base)"
    }

    func seriesYear(_ j: Int) -> Int { 1990 + j % 35 }
    func seriesTMDB(_ j: Int) -> String { j % 10 == 0 ? "" : String(500_000 + j) }

    static func rating(_ i: Int) -> (String, String) {
        let r = 50 + (i * 37) % 50  // 5.0 ... 9.9
        return ("\(r / 10).\(r % 10)", "\(Double(r) / 20)")
    }
}

extension FixtureCatalog {
    /// A large deterministic catalog for the benchmark (e.g. 100_000 movies, 10_000 series, 20 episodes each).
    /// The four lists are built once as bytes (~40 MB for 100k movies); `get_series_info` and
    /// `get_vod_info` are built on demand. Ids follow ``GeneratedCatalogLayout``.
    public static func generated(
        movies: Int, series: Int, episodesPerSeries: Int, seed: UInt64, idOffset: Int = 0, variants: Bool = false
    ) -> FixtureCatalog {
        let layout = GeneratedCatalogLayout(movies: movies, series: series, episodesPerSeries: episodesPerSeries, seed: seed, idOffset: idOffset,
                                            variants: variants)
        var lists: [String: ByteBuffer] = [:]
        lists["get_vod_categories"] = categoriesBody(GeneratedCatalogLayout.vodGenres)
        lists["get_series_categories"] = categoriesBody(GeneratedCatalogLayout.seriesGenres)
        lists["get_vod_streams"] = vodStreamsBody(layout)
        lists["get_series"] = seriesBody(layout)
        return FixtureCatalog(
            lists: lists,
            seriesInfo: { id in layout.seriesIndex(ofSeriesID: id).map { seriesInfoBody(layout, $0) } },
            vodInfo: { id in layout.listedMovieIndex(ofStreamID: id).map { vodInfoBody(layout, $0) } },
            hasMovie: { layout.listedMovieIndex(ofStreamID: $0) != nil },
            hasEpisode: { layout.episodeIndex(ofEpisodeID: $0) != nil }
        )
    }

    /// `[e(0),e(1),...]` for `count` elements of about `bytesEach` bytes.
    private static func array(_ count: Int, bytesEach: Int, _ element: (Int) -> String) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(count * bytesEach + 2)
        out.writeString("[")
        for index in 0 ..< count {
            if index > 0 { out.writeString(",") }
            out.writeString(element(index))
        }
        out.writeString("]")
        return out
    }

    private static func categoriesBody(_ names: [String]) -> ByteBuffer {
        array(names.count, bytesEach: 64) { index in
            #"{"category_id":"\#(index + 1)","category_name":"\#(names[index])","parent_id":0}"#
        }
    }

    private static func vodStreamsBody(_ layout: GeneratedCatalogLayout) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(layout.movies * 420 + 2)
        out.writeString("[")
        var num = 0
        for i in 0 ..< layout.movies {
            for (id, name) in layout.listedMovies(i) {
                if num > 0 { out.writeString(",") }
                num += 1
                let (rating, rating5) = GeneratedCatalogLayout.rating(i)
                let category = i % 10 + 1
                let ext = i % 3 == 0 ? "mp4" : "mkv"
                out.writeString(
                    #"{"num":\#(num),"name":"\#(jsonEscaped(name))","stream_type":"movie","stream_id":\#(id),"#
                        + #""stream_icon":"http://img.fixture.invalid/p/\#(id).jpg","rating":"\#(rating)","rating_5based":\#(rating5),"#
                        + #""added":"\#(1_600_000_000 + i * 60)","is_adult":"0","category_id":"\#(category)","category_ids":[\#(category)],"#
                        + #""container_extension":"\#(ext)","custom_sid":"","direct_source":"","tmdb":"\#(layout.movieTMDB(i))","trailer":""}"#
                )
            }
        }
        out.writeString("]")
        return out
    }

    private static func seriesObject(_ layout: GeneratedCatalogLayout, _ j: Int, num: Int?) -> String {
        let (rating, rating5) = GeneratedCatalogLayout.rating(j)
        let category = j % 5 + 1
        let date = "\(layout.seriesYear(j))-01-15"
        let numPart = num.map { #""num":\#($0),"# } ?? ""
        let idPart = num != nil ? #""series_id":\#(layout.seriesID(j)),"# : ""
        return #"{\#(numPart)"name":"\#(jsonEscaped(layout.seriesName(j)))",\#(idPart)"cover":"http://img.fixture.invalid/s/\#(layout.seriesID(j)).jpg","#
            + #""plot":"","cast":"","director":"","genre":"\#(GeneratedCatalogLayout.seriesGenres[j % 5])","releaseDate":"\#(date)","release_date":"\#(date)","#
            + #""last_modified":"\#(1_700_000_000 + j)","rating":"\#(rating)","rating_5based":\#(rating5),"backdrop_path":[],"#
            + #""youtube_trailer":"","tmdb":"\#(layout.seriesTMDB(j))","episode_run_time":"45","category_id":"\#(category)","category_ids":[\#(category)]}"#
    }

    private static func seriesBody(_ layout: GeneratedCatalogLayout) -> ByteBuffer {
        array(layout.series, bytesEach: 520) { j in seriesObject(layout, j, num: j + 1) }
    }

    static func seriesInfoBody(_ layout: GeneratedCatalogLayout, _ j: Int) -> ByteBuffer {
        var out = ByteBuffer()
        let eps = layout.episodesPerSeries
        let seasonCount = (eps + 9) / 10
        out.writeString(#"{"seasons":["#)
        for s in 0 ..< seasonCount {
            if s > 0 { out.writeString(",") }
            let count = min(10, eps - s * 10)
            out.writeString(
                #"{"air_date":"\#(layout.seriesYear(j) + s)-01-15","episode_count":\#(count),"id":\#(s + 1),"name":"Season \#(s + 1)","#
                    + #""overview":"","season_number":\#(s + 1),"vote_average":0,"cover":"","cover_big":""}"#
            )
        }
        out.writeString(#"],"info":"#)
        out.writeString(seriesObject(layout, j, num: nil))
        out.writeString(#","episodes":{"#)
        for s in 0 ..< seasonCount {
            if s > 0 { out.writeString(",") }
            out.writeString(#""\#(s + 1)":["#)
            for k in (s * 10) ..< min(eps, s * 10 + 10) {
                if k > s * 10 { out.writeString(",") }
                let n = k % 10 + 1
                let id = layout.episodeID(series: j, episode: k)
                out.writeString(
                    #"{"id":"\#(id)","episode_num":\#(n),"title":"\#(jsonEscaped(layout.seriesName(j))) - S\#(pad(s + 1))E\#(pad(n))","#
                        + #""container_extension":"mkv","info":{"tmdb_id":\#(900_000 + id),"releasedate":"","plot":"","duration_secs":2700,"#
                        + #""duration":"00:45:00","movie_image":"","bitrate":0,"rating":"7.5","season":"\#(s + 1)","cover_big":""},"#
                        + #""custom_sid":"","added":"\#(1_700_000_000 + j)","season":\#(s + 1),"direct_source":""}"#
                )
            }
            out.writeString("]")
        }
        out.writeString("}}")
        return out
    }

    static func vodInfoBody(_ layout: GeneratedCatalogLayout, _ i: Int) -> ByteBuffer {
        let (rating, _) = GeneratedCatalogLayout.rating(i)
        let name = jsonEscaped(layout.movieName(i))
        let category = i % 10 + 1
        let ext = i % 3 == 0 ? "mp4" : "mkv"
        var out = ByteBuffer()
        out.writeString(
            #"{"info":{"tmdb_id":"\#(layout.movieTMDB(i))","name":"\#(name)","o_name":"\#(name)","cover_big":"","movie_image":"","#
                + #""releasedate":"\#(layout.movieYear(i))-06-01","youtube_trailer":"","director":"","actors":"","cast":"","description":"","#
                + #""plot":"Generated title \#(i).","age":"","country":"","genre":"\#(GeneratedCatalogLayout.vodGenres[i % 10])","backdrop_path":[],"#
                + #""duration_secs":6000,"duration":"01:40:00","video":{},"audio":{},"bitrate":0,"rating":"\#(rating)"},"#
                + #""movie_data":{"stream_id":\#(layout.movieID(i)),"name":"\#(name)","added":"\#(1_600_000_000 + i * 60)","#
                + #""category_id":"\#(category)","category_ids":[\#(category)],"container_extension":"\#(ext)","custom_sid":"","direct_source":""}}"#
        )
        return out
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// Escapes a string for a JSON string literal. Written here on purpose rather than shared with
/// XCModels' `JSONWriter`: the fixture provider stands in for a real provider, so it shares no code with
/// the client that parses what it serves (a bug in one escaper would otherwise hide itself).
func jsonEscaped(_ string: String) -> String {
    var needs = false
    for unit in string.utf8 where unit < 0x20 || unit == 0x22 || unit == 0x5C { needs = true; break }
    guard needs else { return string }
    var out = ""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
