import GRDB
import Logging

/// The kinds of title a provider's list imports (live channels are not titles).
public enum TitleKind: Sendable {
    case movie, series
}

/// A movie as a provider's `get_vod_streams` lists it, read leniently (what the relation stores).
public struct MovieListing: Sendable {
    public var containerExtension: String
    public var name: String
    public var streamIcon: String
    public var rating: String
    public var rating5based: Double
    public var added: String
    public var isAdult: String
    public var tmdb: String
    public var trailer: String

    public init(containerExtension: String, name: String, streamIcon: String, rating: String, rating5based: Double,
                added: String, isAdult: String, tmdb: String, trailer: String) {
        self.containerExtension = containerExtension
        self.name = name
        self.streamIcon = streamIcon
        self.rating = rating
        self.rating5based = rating5based
        self.added = added
        self.isAdult = isAdult
        self.tmdb = tmdb
        self.trailer = trailer
    }
}

/// A series as a provider's `get_series` lists it, read leniently (what the relation stores).
public struct SeriesListing: Sendable {
    public var name: String
    public var cover: String
    public var plot: String
    public var cast: String
    public var director: String
    public var genre: String
    public var releaseDate: String
    public var lastModified: String
    public var rating: String
    public var rating5based: Double
    /// A JSON array.
    public var backdropPath: String
    public var youtubeTrailer: String
    public var tmdb: String
    public var episodeRunTime: String

    public init(name: String, cover: String, plot: String, cast: String, director: String, genre: String, releaseDate: String,
                lastModified: String, rating: String, rating5based: Double, backdropPath: String, youtubeTrailer: String,
                tmdb: String, episodeRunTime: String) {
        self.name = name
        self.cover = cover
        self.plot = plot
        self.cast = cast
        self.director = director
        self.genre = genre
        self.releaseDate = releaseDate
        self.lastModified = lastModified
        self.rating = rating
        self.rating5based = rating5based
        self.backdropPath = backdropPath
        self.youtubeTrailer = youtubeTrailer
        self.tmdb = tmdb
        self.episodeRunTime = episodeRunTime
    }
}

/// One item of a provider's title list, ready to store as that account's relation of a title.
public struct ListedTitle: Sendable {
    public enum Listing: Sendable {
        case movie(MovieListing)
        case series(SeriesListing)
    }

    public var providerID: Int
    public var identity: TitleIdentity
    public var listing: Listing
    /// The merged id of the item's first category, nil for none.
    public var categoryID: Int64?
    /// The merged ids of all its categories, a JSON array.
    public var categoryIDs: String
    /// The whole item, a JSON object.
    public var extra: String
    public var hash: Int64

    public init(providerID: Int, identity: TitleIdentity, listing: Listing, categoryID: Int64?, categoryIDs: String, extra: String, hash: Int64) {
        self.providerID = providerID
        self.identity = identity
        self.listing = listing
        self.categoryID = categoryID
        self.categoryIDs = categoryIDs
        self.extra = extra
        self.hash = hash
    }
}

/// An account's stored relation of a title, as the title import compares against it.
public struct KnownRelation: Sendable {
    public var id: Int64
    public var hash: Int64
    public var stale: Bool

    public init(id: Int64, hash: Int64, stale: Bool) {
        self.id = id
        self.hash = hash
        self.stale = stale
    }
}

/// The tables and columns of one kind's titles and relations.
private struct TitleTables {
    var title: String
    var relation: String
    var titleKey: String
    var providerID: String
    var columns: [String]

    static func of(_ kind: TitleKind) -> TitleTables {
        switch kind {
        case .movie:
            TitleTables(title: "movie", relation: "movie_relation", titleKey: "movie_id", providerID: "stream_id", columns: [
                "container_extension", "name", "stream_icon", "rating", "rating_5based", "added", "is_adult", "tmdb", "trailer",
            ])
        case .series:
            TitleTables(title: "series", relation: "series_relation", titleKey: "series_id", providerID: "provider_series_id", columns: [
                "name", "cover", "plot", "\"cast\"", "director", "genre", "release_date", "last_modified", "rating",
                "rating_5based", "backdrop_path", "youtube_trailer", "tmdb", "episode_run_time",
            ])
        }
    }
}

extension ListedTitle.Listing {
    /// The provider's name, which carries the variant tags.
    var name: String {
        switch self {
        case .movie(let m): m.name
        case .series(let s): s.name
        }
    }

    /// The values of `TitleTables.columns`, in that order. Existentials, not `DatabaseValue`s: GRDB turns
    /// a sequence of concrete values into arguments through a key path per value, a tenth of the
    /// import's CPU at one statement per item (`StatementArguments.init(_:)` of optionals does not).
    fileprivate var values: [(any DatabaseValueConvertible)?] {
        switch self {
        case .movie(let m):
            [m.containerExtension, m.name, m.streamIcon, m.rating, m.rating5based, m.added, m.isAdult, m.tmdb, m.trailer]
        case .series(let s):
            [s.name, s.cover, s.plot, s.cast, s.director, s.genre, s.releaseDate, s.lastModified, s.rating, s.rating5based,
             s.backdropPath, s.youtubeTrailer, s.tmdb, s.episodeRunTime]
        }
    }
}

extension Store {
    /// Every relation of `kind` of `accountID`, by the provider's id.
    public func knownRelations(kind: TitleKind, accountID: Int64) async throws -> [Int: KnownRelation] {
        let tables = TitleTables.of(kind)
        return try await pool.read { db in
            var known: [Int: KnownRelation] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT \(tables.providerID) AS provider_id, id, content_hash, stale FROM \(tables.relation) WHERE account_id = ?
                """, arguments: [accountID])
            while let row = try rows.next() {
                known[row["provider_id"]] = KnownRelation(id: row["id"], hash: row["content_hash"], stale: row["stale"])
            }
            return known
        }
    }

    /// Writes one batch of a title list in one transaction: `updates` rewrite the given relations (and
    /// make them live again), `inserts` become new relations of the title they are a copy of (see
    /// `titleFor`). Returns the new relations' ids by provider id.
    public func importTitles(
        kind: TitleKind, accountID: Int64, updates: [(relationID: Int64, title: ListedTitle)], inserts: [ListedTitle],
        now: Int64, logger: Logger
    ) async throws -> [Int: Int64] {
        let tables = TitleTables.of(kind)
        return try await pool.write { db in
            let setColumns = (tables.columns + ["category_id", "category_ids", "extra", "content_hash"]).map { "\($0) = ?" }
            let update = try db.cachedStatement(sql: """
                UPDATE \(tables.relation) SET \(setColumns.joined(separator: ", ")), last_seen = ?, stale = 0, stale_since = NULL
                WHERE id = ?
                """)
            let insertColumns = [tables.titleKey, "account_id", tables.providerID] + tables.columns
                + ["category_id", "category_ids", "extra", "content_hash", "first_seen", "last_seen"]
            let insert = try db.cachedStatement(sql: """
                INSERT INTO \(tables.relation) (\(insertColumns.joined(separator: ", ")))
                VALUES (\(Array(repeating: "?", count: insertColumns.count).joined(separator: ", ")))
                """)
            func common(_ title: ListedTitle) -> [(any DatabaseValueConvertible)?] {
                title.listing.values + [title.categoryID, title.categoryIDs, title.extra, title.hash]
            }
            for (relationID, title) in updates {
                try update.execute(arguments: StatementArguments(common(title) + [now, relationID]))
            }
            var inserted: [Int: Int64] = [:]
            for title in inserts {
                let titleID = try Self.titleFor(title, accountID: accountID, tables: tables, db: db, logger: logger)
                try insert.execute(arguments: StatementArguments([titleID, accountID, title.providerID] + common(title) + [now, now]))
                inserted[title.providerID] = db.lastInsertedRowID
            }
            return inserted
        }
    }

    /// The entry `listed` joins (docs/variants.md, "Entries"). Its *title* is found by tmdb, then imdb,
    /// then name+year (only where tmdb ids do not disagree); within the title, it joins the first entry
    /// with the same variant key that holds no copy of `accountID` yet (a panel lists one file once, so
    /// a second stream id is a second file). Otherwise it starts a new entry of that title, or a new
    /// title. A match fills in ids the title was missing, so later copies match on them.
    private static func titleFor(_ listed: ListedTitle, accountID: Int64, tables: TitleTables, db: Database, logger: Logger) throws -> Int64 {
        let table = tables.title
        let identity = listed.identity
        let variant = VariantKey(name: listed.listing.name)
        // One statement for the three lookups, in their order: COALESCE runs a lookup only when the ones
        // before it found nothing (a missing id is NULL and finds nothing), as three statements would,
        // for a third of the statements per new item.
        let match = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT COALESCE(
              (SELECT title_id FROM \(table) WHERE tmdb = ?1 LIMIT 1),
              (SELECT title_id FROM \(table) WHERE imdb = ?2 LIMIT 1),
              (SELECT title_id FROM \(table) WHERE ?3 != '' AND name_key = ?3 AND year IS ?4
                 AND (tmdb IS NULL OR ?1 IS NULL OR tmdb = ?1) AND (imdb IS NULL OR ?2 IS NULL OR imdb = ?2) LIMIT 1))
            """), arguments: [identity.tmdb, identity.imdb, identity.nameKey, identity.year])
        if let match {
            // Only the entries missing an id the item has are written (a write per item would dirty the
            // title's pages on every copy and re-sync).
            if identity.tmdb != nil || identity.imdb != nil {
                try db.cachedStatement(sql: """
                    UPDATE \(table) SET tmdb = COALESCE(tmdb, ?1), imdb = COALESCE(imdb, ?2)
                    WHERE title_id = ?3 AND ((tmdb IS NULL AND ?1 IS NOT NULL) OR (imdb IS NULL AND ?2 IS NOT NULL))
                    """).execute(arguments: [identity.tmdb, identity.imdb, match])
            }
            if let entry = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT t.id FROM \(table) t WHERE t.title_id = ? AND t.variant_key = ?
                  AND NOT EXISTS (SELECT 1 FROM \(tables.relation) r WHERE r.\(tables.titleKey) = t.id AND r.account_id = ?)
                ORDER BY t.id LIMIT 1
                """), arguments: [match, variant.key, accountID]) {
                return entry
            }
        }
        let publicID = try PublicIDs.choose(for: listed.providerID, in: table, db: db, logger: logger)
        // The row id is chosen here, as SQLite would (one past the highest), so that a new title's
        // `title_id` (its own id) is written with the row instead of by a second statement.
        try db.cachedStatement(sql: """
            INSERT INTO \(table) (id, public_id, tmdb, imdb, name_key, year, title_id, variant_key, quality, language)
            SELECT next, ?, ?, ?, ?, ?, COALESCE(?, next), ?, ?, ? FROM (SELECT IFNULL(MAX(id), 0) + 1 AS next FROM \(table))
            """).execute(arguments: [publicID, identity.tmdb, identity.imdb, identity.nameKey, identity.year, match, variant.key,
                                     variant.quality.rawValue, variant.language ?? ""])
        return db.lastInsertedRowID
    }

    /// Ends an account's title list of `kind`: `staleIDs` (relations the provider no longer lists) go
    /// stale, every live relation of the account records that it was seen now.
    public func finishTitleList(kind: TitleKind, accountID: Int64, staleIDs: [Int64], now: Int64) async throws {
        let relation = TitleTables.of(kind).relation
        try await pool.write { db in
            for chunk in stride(from: 0, to: staleIDs.count, by: 500).map({ staleIDs[$0..<min($0 + 500, staleIDs.count)] }) {
                try db.execute(
                    sql: "UPDATE \(relation) SET stale = 1, stale_since = ? WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments([now] + Array(chunk)))
            }
            // Rows this sync wrote already say `now`: rewriting them would cost a second write of the whole list.
            try db.execute(sql: "UPDATE \(relation) SET last_seen = ?1 WHERE account_id = ?2 AND stale = 0 AND last_seen != ?1",
                           arguments: [now, accountID])
        }
    }
}
