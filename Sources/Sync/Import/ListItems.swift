import XCModels

/// What differs between the title lists (`get_vod_streams`, `get_series`): a value, so the sync runs
/// both through one path (`SyncEngine.importList`, `TitleListImport`, `TitleItem`).
struct TitleList: Sendable {
    /// The key of the list's counts in the sync report.
    var reportKey: String
    var kind: TitleKind
    var categoryKind: CatalogKind
    var phase: SyncPhase
    var categoriesAction: String
    var listAction: String
    /// The item's id key in the provider's list, and its name in skip reasons.
    var idKey: String
    var idName: String
    /// The kind's own fields of an item, from its provider object, name and identity.
    var listing: @Sendable (ProviderObject, String, TitleIdentity) -> ListedTitle.Listing

    static let movies = TitleList(
        reportKey: "movies", kind: .movie, categoryKind: .movie, phase: .movies, categoriesAction: "get_vod_categories",
        listAction: "get_vod_streams", idKey: "stream_id", idName: "stream_id"
    ) { item, name, identity in
        let isAdult = item.string("is_adult")
        return .movie(MovieListing(
            containerExtension: item.optionalString("container_extension") ?? "mp4", name: name,
            streamIcon: item.string("stream_icon", "cover"), rating: item.string("rating"), rating5based: item.rating5,
            added: item.string("added"), isAdult: isAdult.isEmpty ? "0" : isAdult, tmdb: identity.tmdb ?? "",
            trailer: item.string("trailer", "youtube_trailer")))
    }

    static let series = TitleList(
        reportKey: "series", kind: .series, categoryKind: .series, phase: .series, categoriesAction: "get_series_categories",
        listAction: "get_series", idKey: "series_id", idName: "provider_series_id"
    ) { item, name, identity in
        let backdrops = ProviderValue.array(item.stringList("backdrop_path").map(ProviderValue.string)).jsonText
        return .series(SeriesListing(
            name: name, cover: item.string("cover"), plot: item.string("plot"), cast: item.string("cast"),
            director: item.string("director"), genre: item.string("genre"), releaseDate: item.string("releaseDate", "release_date"),
            lastModified: item.string("last_modified"), rating: item.string("rating"), rating5based: item.rating5,
            backdropPath: backdrops, youtubeTrailer: item.string("youtube_trailer"), tmdb: identity.tmdb ?? "",
            episodeRunTime: item.string("episode_run_time")))
    }
}

/// An item of a provider's title list, read leniently.
struct TitleItem {
    var providerID: Int
    var identity: TitleIdentity
    var providerCategoryIDs: [String]
    var listing: ListedTitle.Listing

    init(object item: ProviderObject, of list: TitleList) throws(SkipReason) {
        providerID = try item.providerID(list.idKey)
        let name = item.string("name", "title")
        identity = item.identity(name: name)
        providerCategoryIDs = item.categoryIDs
        listing = list.listing(item, name, identity)
    }
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
