import GRDB
import XCModels

/// An item of a provider's title list (`get_vod_streams`, `get_series`), read leniently.
protocol ListItem: Sendable {
    static var reportKey: String { get }
    static var titleTable: String { get }
    static var relationTable: String { get }
    static var titleKey: String { get }
    static var providerIDColumn: String { get }
    /// The kind-specific relation columns, in the order of `values`.
    static var columns: [String] { get }

    var providerID: Int { get }
    var identity: TitleIdentity { get }
    var providerCategoryIDs: [String] { get }
    var values: [DatabaseValue] { get }

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
    static let titleTable = "movie"
    static let relationTable = "movie_relation"
    static let titleKey = "movie_id"
    static let providerIDColumn = "stream_id"
    static let columns = [
        "container_extension", "name", "stream_icon", "rating", "rating_5based", "added", "is_adult", "tmdb", "trailer",
    ]

    var providerID: Int
    var identity: TitleIdentity
    var providerCategoryIDs: [String]
    var values: [DatabaseValue]

    init(object item: ProviderObject) throws(SkipReason) {
        providerID = try item.providerID("stream_id")
        let name = item.string("name", "title")
        identity = item.identity(name: name)
        providerCategoryIDs = item.categoryIDs
        let isAdult = item.string("is_adult")
        let texts = [
            item.optionalString("container_extension") ?? "mp4", name, item.string("stream_icon", "cover"),
            item.string("rating"),
        ]
        values = texts.map(\.databaseValue) + [item.rating5.databaseValue] + [
            item.string("added"), isAdult.isEmpty ? "0" : isAdult, identity.tmdb ?? "", item.string("trailer", "youtube_trailer"),
        ].map(\.databaseValue)
    }
}

struct SeriesItem: ListItem {
    static let reportKey = "series"
    static let titleTable = "series"
    static let relationTable = "series_relation"
    static let titleKey = "series_id"
    static let providerIDColumn = "provider_series_id"
    static let columns = [
        "name", "cover", "plot", "\"cast\"", "director", "genre", "release_date", "last_modified", "rating",
        "rating_5based", "backdrop_path", "youtube_trailer", "tmdb", "episode_run_time",
    ]

    var providerID: Int
    var identity: TitleIdentity
    var providerCategoryIDs: [String]
    var values: [DatabaseValue]

    init(object item: ProviderObject) throws(SkipReason) {
        providerID = try item.providerID("series_id")
        let name = item.string("name", "title")
        identity = item.identity(name: name)
        providerCategoryIDs = item.categoryIDs
        let backdrops = ProviderValue.array(item.stringList("backdrop_path").map(ProviderValue.string)).jsonText
        values = [
            name, item.string("cover"), item.string("plot"), item.string("cast"), item.string("director"),
            item.string("genre"), item.string("releaseDate", "release_date"), item.string("last_modified"),
            item.string("rating"),
        ].map(\.databaseValue) + [item.rating5.databaseValue] + [
            backdrops, item.string("youtube_trailer"), identity.tmdb ?? "", item.string("episode_run_time"),
        ].map(\.databaseValue)
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
