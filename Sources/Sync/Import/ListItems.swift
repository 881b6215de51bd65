import XCModels

/// An item of a provider's title list (`get_vod_streams`, `get_series`), read leniently.
protocol ListItem: Sendable {
    static var reportKey: String { get }
    static var kind: TitleKind { get }
    /// The provider's name of the item's id (in skip reasons).
    static var providerIDKey: String { get }

    var providerID: Int { get }
    var identity: TitleIdentity { get }
    var providerCategoryIDs: [String] { get }
    var listing: ListedTitle.Listing { get }

    init(object: ProviderObject) throws(SkipReason)
}

/// Why an item was left out of the catalog; counted by reason in the sync report.
struct SkipReason: Error {
    var reason: String
}

extension ProviderObject {
    /// The provider's category ids of an item, `category_id` first, as text.
    var categoryIDs: [String] {
        var ids: [String] = []
        if let primary = optionalString("category_id") { ids.append(primary) }
        for id in intList("category_ids") where !ids.contains(String(id)) { ids.append(String(id)) }
        return ids
    }

    /// `rating_5based` when sent, else half the 10-based rating.
    var rating5: Double {
        if let value = double("rating_5based") { return value }
        return (double("rating") ?? 0) / 2
    }
}

struct MovieItem: ListItem {
    static let reportKey = "movies"
    static let kind = TitleKind.movie
    static let providerIDKey = "stream_id"

    var providerID: Int
    var identity: TitleIdentity
    var providerCategoryIDs: [String]
    var listing: ListedTitle.Listing

    init(object item: ProviderObject) throws(SkipReason) {
        providerID = try item.providerID("stream_id")
        let name = item.string("name", "title")
        identity = item.identity(name: name)
        providerCategoryIDs = item.categoryIDs
        let isAdult = item.string("is_adult")
        listing = .movie(MovieListing(
            containerExtension: item.optionalString("container_extension") ?? "mp4", name: name,
            streamIcon: item.string("stream_icon", "cover"), rating: item.string("rating"), rating5based: item.rating5,
            added: item.string("added"), isAdult: isAdult.isEmpty ? "0" : isAdult, tmdb: identity.tmdb ?? "",
            trailer: item.string("trailer", "youtube_trailer")))
    }
}

struct SeriesItem: ListItem {
    static let reportKey = "series"
    static let kind = TitleKind.series
    static let providerIDKey = "provider_series_id"

    var providerID: Int
    var identity: TitleIdentity
    var providerCategoryIDs: [String]
    var listing: ListedTitle.Listing

    init(object item: ProviderObject) throws(SkipReason) {
        providerID = try item.providerID("series_id")
        let name = item.string("name", "title")
        identity = item.identity(name: name)
        providerCategoryIDs = item.categoryIDs
        let backdrops = ProviderValue.array(item.stringList("backdrop_path").map(ProviderValue.string)).jsonText
        listing = .series(SeriesListing(
            name: name, cover: item.string("cover"), plot: item.string("plot"), cast: item.string("cast"),
            director: item.string("director"), genre: item.string("genre"), releaseDate: item.string("releaseDate", "release_date"),
            lastModified: item.string("last_modified"), rating: item.string("rating"), rating5based: item.rating5,
            backdropPath: backdrops, youtubeTrailer: item.string("youtube_trailer"), tmdb: identity.tmdb ?? "",
            episodeRunTime: item.string("episode_run_time")))
    }
}

extension ProviderObject {
    /// The item's id under `key`; an item without a positive one cannot be played, so it is skipped.
    func providerID(_ key: String) throws(SkipReason) -> Int {
        guard let id = int(key), id > 0 else { throw SkipReason(reason: "missing \(key)") }
        return id
    }

    /// What deduplicates the item across accounts; panels spell the ids' keys either way.
    func identity(name: String) -> TitleIdentity {
        TitleIdentity(tmdb: optionalString("tmdb", "tmdb_id"), imdb: optionalString("imdb", "imdb_id"), name: name, year: year)
    }
}
