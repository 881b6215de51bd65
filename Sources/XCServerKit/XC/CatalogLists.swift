import XCModels

/// The big list answers (`get_vod_streams`, `get_series`) and the category lists.
///
/// Lists are read from the store in id order in pages of `batchSize` rows (one short read transaction
/// each), each page encoded straight into JSON bytes and handed to the response, so a 100,000-title
/// answer never exists whole in memory and a sync can commit between pages.
enum CatalogLists {
    static let batchSize = 2000

    /// Only categories clients can see titles in: used by a served title of that kind.
    static func categories(kind: CatalogKind, store: Store, scope: CatalogScope) async throws -> [UInt8] {
        categoryList(try await store.visibleCategories(kind: kind, scope: scope))
    }

    /// `[{"category_id", "category_name", "parent_id"}]` of `categories`, in their order.
    static func categoryList(_ categories: [CategoryListRow]) -> [UInt8] {
        var json = JSONWriter(capacity: 4096)
        json.beginArray()
        for category in categories {
            json.beginObject()
            json.member("category_id", String(category.id))
            json.member("category_name", category.name)
            json.member("parent_id", 0)
            json.endObject()
        }
        json.endArray()
        return json.bytes
    }

    /// `year` is the title's (the provider's `year` field, else the year in its name or release date, read at
    /// import): a column, so the 100,000-row list parses no stored JSON.
    static func vodStreams(store: Store, categoryID: Int64?, scope: CatalogScope) -> StreamedBody.Producer {
        paged { after, num, json in
            try await store.vodListPage(scope: scope, category: categoryID, after: after, limit: batchSize, into: json) { json, row, n in
                json.beginObject()
                json.member("num", num + n)
                json.member("name", row.name)
                json.member("stream_type", "movie")
                json.member("stream_id", row.publicID)
                json.member("stream_icon", row.streamIcon)
                json.member("rating", row.rating)
                json.member("rating_5based", row.rating5based)
                json.member("added", WireFields.integer(row.added, else: row.firstSeen))
                json.member("is_adult", WireFields.integer(row.isAdult, else: 0))
                json.member("category_id", WireFields.categoryID(row.categoryID))
                json.member("category_ids", raw: row.categoryIDs)
                json.member("container_extension", row.containerExtension)
                json.member("custom_sid", "")
                json.member("direct_source", "")
                json.member("tmdb", row.tmdb)
                json.member("trailer", row.trailer)
                if let year = WireFields.year(row.year.map(String.init)) { json.member("year", year) }
                json.endObject()
            }
        }
    }

    /// The fields `get_series` items and `get_series_info.info` share (after `name`).
    static func writeSeriesFields(_ json: inout JSONWriter, _ fields: SeriesFields) {
        json.member("cover", fields.cover)
        json.member("plot", fields.plot)
        json.member("cast", fields.cast)
        json.member("director", fields.director)
        json.member("genre", fields.genre)
        json.member("releaseDate", fields.releaseDate)
        json.member("release_date", fields.releaseDate)
        json.member("last_modified", WireFields.integer(fields.lastModified, else: fields.firstSeen))
        json.member("rating", fields.rating)
        json.member("rating_5based", fields.rating5based)
        json.member("backdrop_path", raw: fields.backdropPath)
        json.member("youtube_trailer", fields.youtubeTrailer)
        json.member("tmdb", fields.tmdb)
        json.member("episode_run_time", fields.episodeRunTime)
        json.member("category_id", WireFields.categoryID(fields.categoryID))
        json.member("category_ids", raw: fields.categoryIDs)
        if let year = WireFields.year(fields.year.map(String.init)) { json.member("year", year) }
    }

    static func series(store: Store, categoryID: Int64?, scope: CatalogScope) -> StreamedBody.Producer {
        paged { after, num, json in
            try await store.seriesListPage(scope: scope, category: categoryID, after: after, limit: batchSize, into: json) { json, row, n in
                json.beginObject()
                json.member("num", num + n)
                json.member("name", row.fields.name)
                json.member("series_id", row.publicID)
                writeSeriesFields(&json, row.fields)
                json.endObject()
            }
        }
    }

    /// Streams `[item, item, …]` page by page: `page(after, itemsSoFar, writer)` reads the page after
    /// that id, its items appended to the writer it is given.
    static func paged(
        page: @escaping @Sendable (Int64, Int, JSONWriter) async throws -> ListPage<JSONWriter>
    ) -> StreamedBody.Producer {
        { emit in
            var after: Int64 = 0
            var num = 0
            var first = true
            while true {
                var json = JSONWriter(capacity: 512 * batchSize)
                if first { json.beginArray() } else { json.continueList() }
                let result = try await page(after, num, json)
                json = result.output
                if result.count < batchSize { json.endArray() }
                try await emit(json.bytes)
                if result.count < batchSize { return }
                first = false
                num += result.count
                after = result.last
            }
        }
    }
}
