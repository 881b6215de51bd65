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
        objects({ after, json, add in
            try await store.vodListPage(scope: scope, category: categoryID, after: after, limit: batchSize, into: json, add)
        }) { json, row in
            json.member("name", row.name)
            json.member("stream_type", "movie")
            json.member("stream_id", row.publicID)
            json.member("stream_icon", row.streamIcon)
            json.member("rating", row.rating)
            json.member("rating_5based", row.rating5based)
            writeListingFields(&json, added: row.added, firstSeen: row.firstSeen, isAdult: row.isAdult, categoryID: row.categoryID,
                               categoryIDs: row.categoryIDs)
            json.member("container_extension", row.containerExtension)
            json.member("custom_sid", "")
            json.member("direct_source", "")
            json.member("tmdb", row.tmdb)
            json.member("trailer", row.trailer)
            if let year = WireFields.year(row.year.map(String.init)) { json.member("year", year) }
        }
    }

    /// The fields film and channel items share, as clients parse them: `added` and `is_adult` as whole
    /// numbers, `category_id` as a string that parses, `category_ids` as the stored array.
    static func writeListingFields(
        _ json: inout JSONWriter, added: String, firstSeen: Int64, isAdult: String, categoryID: Int64?, categoryIDs: String
    ) {
        json.member("added", WireFields.integer(added, else: firstSeen))
        json.member("is_adult", WireFields.integer(isAdult, else: 0))
        json.member("category_id", WireFields.categoryID(categoryID))
        json.member("category_ids", raw: categoryIDs)
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
        objects({ after, json, add in
            try await store.seriesListPage(scope: scope, category: categoryID, after: after, limit: batchSize, into: json, add)
        }) { json, row in
            json.member("name", row.fields.name)
            json.member("series_id", row.publicID)
            writeSeriesFields(&json, row.fields)
        }
    }

    /// A list of one object per row, streamed by `paged`: `{"num": N, …}` where `num` is the row's place
    /// in the whole answer and `write` adds the rest. `read(after, writer, add)` reads one page.
    static func objects<Row>(
        _ read: @escaping @Sendable (Int64, JSONWriter, @escaping @Sendable (inout JSONWriter, Row, Int) -> Void) async throws
            -> ListPage<JSONWriter>,
        write: @escaping @Sendable (inout JSONWriter, Row) -> Void
    ) -> StreamedBody.Producer {
        paged { after, num, json in
            try await read(after, json) { json, row, n in
                json.beginObject()
                json.member("num", num + n)
                write(&json, row)
                json.endObject()
            }
        }
    }

    /// Streams `[item, item, …]` page by page: `page(after, itemsSoFar, writer)` reads the page after
    /// that id, its items appended to the writer it is given. The next page is read while the one
    /// before is written to the client (and compressed), so the database and the socket each have a
    /// core; at most two pages are held.
    static func paged(
        page: @escaping @Sendable (Int64, Int, JSONWriter) async throws -> ListPage<JSONWriter>
    ) -> StreamedBody.Producer {
        let read: @Sendable (Int64, Int) async throws -> ListPage<JSONWriter> = { after, num in
            var json = JSONWriter(capacity: 512 * batchSize)
            if num == 0 { json.beginArray() } else { json.continueList() }
            var result = try await page(after, num, json)
            if result.count < batchSize { result.output.endArray() }
            return result
        }
        return { emit in
            var current = try await read(0, 0)
            var num = 0
            while true {
                num += current.count
                let next = current.count < batchSize ? nil : Task { [after = current.last, num] in try await read(after, num) }
                do {
                    try await emit(current.output.bytes)
                } catch {
                    next?.cancel()
                    throw error
                }
                guard let next else { return }
                current = try await next.value
            }
        }
    }
}
