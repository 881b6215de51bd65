import Foundation
import GRDB

// The admin API's read-only views of categories and the catalog, in the API's shape: the admin API's
// encoder writes the property names snake_case, and `@Nullable` writes an absent value as `null`, so the
// controllers hand these on as they are.

/// A merged category with what each account contributes to it.
public struct AdminCategory: Sendable, Encodable, Equatable {
    public struct AccountLink: Sendable, Encodable, Equatable {
        public var accountID: Int64
        public var accountName: String
        public var providerCategoryID: String
        public var enabled: Bool
        /// Distinct titles of this kind that this account holds live (not stale) relations for in the
        /// category, served or not.
        public var titles: Int
    }

    public var id: Int64
    public var kind: String
    public var name: String
    /// Served titles clients find in the category (what `get_vod_streams&category_id=` lists).
    public var titles: Int
    /// One entry per provider category mapped onto this one, by account priority.
    public var accounts: [AccountLink]
}

/// Which account a relation or a served title comes from.
public struct AdminAccountRef: Sendable, Encodable, Equatable {
    public var id: Int64
    public var name: String
    public var priority: Int
    public var enabled: Bool

    /// The columns `init(row:)` reads, of an account aliased `a`.
    static let columns = "a.id AS account_id, a.name AS account_name, a.priority AS account_priority, a.enabled AS account_enabled"

    init(row: Row) {
        id = row["account_id"]
        name = row["account_name"]
        priority = row["account_priority"]
        enabled = row["account_enabled"]
    }
}

/// One row of a catalog page (a movie or a series).
public struct AdminTitleSummary: Sendable, Encodable, Equatable {
    /// Not written: the page's kind says it.
    public var kind: CatalogKind
    /// The public id clients see (`stream_id` of a movie, `series_id` of a series; see docs/ids.md).
    public var id: Int64
    public var name: String
    @Nullable public var year: Int?
    @Nullable public var tmdb: String?
    @Nullable public var imdb: String?
    public var categoryIDs: [Int64]
    /// The served relation's file extension: movies only, left out for a series.
    public var containerExtension: String?
    /// `stream_icon` of a movie, `cover` of a series.
    public var icon: String
    /// Whether clients see the title (it has a live relation on an enabled account and category).
    public var served: Bool
    /// The account of the served relation; for a title that is not served, the account of the relation
    /// its name is taken from.
    public var account: AdminAccountRef
    public var relations: Int
    /// Served episodes: series only, left out for a movie.
    public var episodes: Int?

    enum CodingKeys: String, CodingKey {
        case id, name, year, tmdb, imdb, categoryIDs, containerExtension, icon, served, account, relations, episodes
    }
}

/// One provider copy of a movie, series or episode.
public struct AdminRelation: Sendable, Encodable, Equatable {
    public enum Kind: Sendable, Equatable { case movie, series, episode }

    public var kind: Kind
    public var id: Int64
    public var account: AdminAccountRef
    /// The provider's id: `stream_id` of a movie or episode, `series_id` of a series.
    public var providerID: Int64
    public var containerExtension: String?
    public var name: String
    public var categoryIDs: [Int64]?
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var stale: Bool
    public var staleSince: Int64?
    /// Whether this is the relation clients are shown (and streamed first).
    public var served: Bool

    enum CodingKeys: String, CodingKey {
        case id, account, name, stale, served, streamID, seriesID, containerExtension, categoryIDs, firstSeen, lastSeen
        case staleSince
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(account, forKey: .account)
        try c.encode(providerID, forKey: kind == .series ? .seriesID : .streamID)
        if kind != .series { try c.encode(containerExtension ?? "", forKey: .containerExtension) }
        try c.encode(name, forKey: .name)
        if let categoryIDs { try c.encode(categoryIDs, forKey: .categoryIDs) }
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(stale, forKey: .stale)
        try c.encode(staleSince, forKey: .staleSince)
        try c.encode(served, forKey: .served)
    }
}

/// A movie or series with every relation; a series also with its seasons and episodes.
public struct AdminTitleDetail: Sendable, Encodable, Equatable {
    public struct Episode: Sendable, Encodable, Equatable {
        /// The public episode id (the stream id in `/series/U/P/ID.EXT`).
        public var id: Int64
        public var season: Int
        public var episodeNum: Int
        public var title: String
        public var served: Bool
        public var relations: [AdminRelation]
    }

    public struct Season: Sendable, Encodable, Equatable {
        public var season: Int
        public var episodes: [Episode]
    }

    public var title: AdminTitleSummary
    public var relations: [AdminRelation]
    public var seasons: [Season]?
    /// This entry's variant key (`VariantKey.key`).
    public var variant: String = "|"
    /// Every entry of the title, this one included, by id (docs/variants.md).
    public var variants: [AdminVariant] = []

    enum CodingKeys: String, CodingKey { case relations, seasons, variant, variants }

    public func encode(to encoder: any Encoder) throws {
        try title.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(relations, forKey: .relations)
        if let seasons { try c.encode(seasons, forKey: .seasons) }
        try c.encode(variant, forKey: .variant)
        try c.encode(variants, forKey: .variants)
    }
}

/// Filters and paging of `catalogPage`.
public struct AdminCatalogQuery: Sendable {
    public var kind: CatalogKind
    public var categoryID: Int64?
    public var year: Int?
    /// Case-insensitive substring of the shown name.
    public var text: String?
    public var page: Int
    public var perPage: Int
    /// Also list titles clients do not see (every relation stale, on a disabled account or in a
    /// disabled category).
    public var includeUnserved: Bool

    public init(kind: CatalogKind, categoryID: Int64? = nil, year: Int? = nil, text: String? = nil, page: Int = 1,
                perPage: Int = 50, includeUnserved: Bool = false) {
        self.kind = kind
        self.categoryID = categoryID
        self.year = year
        self.text = text
        self.page = page
        self.perPage = perPage
        self.includeUnserved = includeUnserved
    }
}

/// One page of an admin list (`page` from 1, `per_page` items at most, `total` in the whole list).
public struct AdminPage<Item: Sendable & Encodable & Equatable>: Sendable, Encodable, Equatable {
    public var items: [Item]
    public var page: Int
    public var perPage: Int
    public var total: Int
}

public typealias AdminCatalogPage = AdminPage<AdminTitleSummary>

extension Store {
    // MARK: Categories

    /// Merged categories of one kind (or of every kind when nil), by kind then name. The counts
    /// are the ones `recomputeCategoryCounts` keeps, so this reads categories, not titles.
    public func adminCategories(kind: CatalogKind?, id: Int64? = nil) async throws -> [AdminCategory] {
        try await pool.read { db in
            let categories = try Row.fetchAll(db, sql: """
                SELECT id, kind, name, titles FROM category
                WHERE kind IN ('movie', 'series', 'live') AND (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR id = ?2)
                ORDER BY kind, name, id
                """, arguments: [kind?.rawValue, id])
            let links = try Row.fetchAll(db, sql: """
                SELECT ac.category_id AS category_id, a.id AS account_id, a.name AS account_name,
                       ac.provider_category_id AS provider_category_id, ac.enabled AS enabled, ac.titles AS titles
                FROM account_category ac JOIN account a ON a.id = ac.account_id
                WHERE ac.kind IN ('movie', 'series', 'live') AND (?1 IS NULL OR ac.kind = ?1) AND (?2 IS NULL OR ac.category_id = ?2)
                ORDER BY \(AdmissionOrder.sql()), ac.provider_category_id
                """, arguments: [kind?.rawValue, id])
            var byCategory: [Int64: [AdminCategory.AccountLink]] = [:]
            for row in links {
                byCategory[row["category_id"], default: []].append(AdminCategory.AccountLink(
                    accountID: row["account_id"], accountName: row["account_name"], providerCategoryID: row["provider_category_id"],
                    enabled: row["enabled"], titles: row["titles"]))
            }
            return categories.map { row in
                let id: Int64 = row["id"]
                return AdminCategory(id: id, kind: row["kind"], name: row["name"], titles: row["titles"], accounts: byCategory[id] ?? [])
            }
        }
    }

    // MARK: Catalog pages

    /// One page of movies or series, ordered by public id, with the total matching the filters.
    public func catalogPage(_ query: AdminCatalogQuery) async throws -> AdminCatalogPage {
        let (relation, key) = query.kind == .series ? ("series_relation", "series_id") : ("movie_relation", "movie_id")
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if !query.includeUnserved { conditions.append("t.preferred_relation_id IS NOT NULL") }
        if let categoryID = query.categoryID {
            if query.includeUnserved {
                conditions.append("EXISTS (SELECT 1 FROM \(relation) x, json_each(x.category_ids) j WHERE x.\(key) = t.id AND j.value = ?)")
            } else {
                conditions.append("EXISTS (SELECT 1 FROM json_each(t.category_ids) j WHERE j.value = ?)")
            }
            arguments.append(categoryID.databaseValue)
        }
        if let year = query.year {
            conditions.append("t.year = ?")
            arguments.append(year.databaseValue)
        }
        if let text = query.text, !text.isEmpty {
            // GRDB's Unicode-aware lowercase function, so "é" finds "É" too.
            conditions.append("instr(swiftLowercaseString(r.name), ?) > 0")
            arguments.append(text.lowercased().databaseValue)
        }
        let (columns, from) = Self.summarySQL(query.kind)
        let filtered = from + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
        let offset = (query.page - 1) * query.perPage
        let values = arguments
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(filtered)", arguments: StatementArguments(values)) ?? 0
            let items = try Row.fetchAll(db, sql: "SELECT \(columns) \(filtered) ORDER BY t.public_id LIMIT ? OFFSET ?",
                                         arguments: StatementArguments(values + [query.perPage.databaseValue, offset.databaseValue]))
                .map { Self.summary(query.kind, $0) }
            return AdminCatalogPage(items: items, page: query.page, perPage: query.perPage, total: total)
        }
    }

    /// The columns and FROM clause of a title summary: the title `t`, the relation `r` its name comes from
    /// (the served one, else the best live one, else any) and that relation's account `a`.
    private static func summarySQL(_ kind: CatalogKind) -> (columns: String, from: String) {
        let (title, relation, key, icon) = kind == .series
            ? ("series", "series_relation", "series_id", "cover") : ("movie", "movie_relation", "movie_id", "stream_icon")
        let extensionColumn = kind == .series ? "NULL" : "r.container_extension"
        let episodes = kind == .series
            ? "(SELECT COUNT(*) FROM episode e WHERE e.series_id = t.id AND e.preferred_relation_id IS NOT NULL)" : "NULL"
        let columns = """
            t.public_id AS public_id, r.name AS name, t.year AS year, t.tmdb AS tmdb, t.imdb AS imdb, t.category_ids AS category_ids,
            \(extensionColumn) AS container_extension, r.\(icon) AS icon, t.preferred_relation_id IS NOT NULL AS served,
            \(AdminAccountRef.columns), (SELECT COUNT(*) FROM \(relation) x WHERE x.\(key) = t.id) AS relations,
            \(episodes) AS episodes, t.id AS entry_id
            """
        let from = """
            FROM \(title) t
            JOIN \(relation) r ON r.id = COALESCE(t.preferred_relation_id, (
                SELECT x.id FROM \(relation) x JOIN account xa ON xa.id = x.account_id
                WHERE x.\(key) = t.id ORDER BY x.stale, \(AdmissionOrder.sql(account: "xa")), x.id LIMIT 1))
            JOIN account a ON a.id = r.account_id
            """
        return (columns, from)
    }

    private static func summary(_ kind: CatalogKind, _ row: Row) -> AdminTitleSummary {
        AdminTitleSummary(
            kind: kind, id: row["public_id"], name: row["name"], year: row["year"], tmdb: row["tmdb"], imdb: row["imdb"],
            categoryIDs: ids(row["category_ids"]), containerExtension: kind == .movie ? (row["container_extension"] ?? "") : nil,
            icon: row["icon"], served: row["served"], account: AdminAccountRef(row: row), relations: row["relations"],
            episodes: kind == .series ? (row["episodes"] ?? 0) : nil)
    }

    // MARK: Title details

    /// A movie or series by public id, with every relation in admission order (and, for a series, its
    /// episodes by season); nil when no title has that id.
    public func catalogTitle(kind: CatalogKind, publicID: Int64) async throws -> AdminTitleDetail? {
        guard kind == .movie || kind == .series else { return nil }
        let (columns, from) = Self.summarySQL(kind)
        return try await pool.read { db -> AdminTitleDetail? in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(columns) \(from) WHERE t.public_id = ?", arguments: [publicID]) else {
                return nil
            }
            let summary = Self.summary(kind, row)
            let titleID: Int64 = row["entry_id"]
            let relations = try Self.entryRelations(kind, entryID: titleID, db: db)
            var seasons: [AdminTitleDetail.Season]?
            if kind == .series {
                var episodeRelations: [Int64: [AdminRelation]] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT \(Self.relationColumns(providerID: "r.stream_id", name: "r.title", categoryIDs: "NULL",
                                                    served: "r.id IS e.preferred_relation_id")), e.id AS episode_id
                    FROM episode_relation r JOIN account a ON a.id = r.account_id JOIN episode e ON e.id = r.episode_id
                    WHERE e.series_id = ? ORDER BY \(AdmissionOrder.sql()), r.id
                    """, arguments: [titleID]) {
                    episodeRelations[row["episode_id"], default: []].append(Self.relation(.episode, row))
                }
                var bySeason: [Int: [AdminTitleDetail.Episode]] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT id, public_id, season, episode_num, preferred_relation_id FROM episode
                    WHERE series_id = ? ORDER BY season, episode_num
                    """, arguments: [titleID]) {
                    let relations = episodeRelations[row["id"]] ?? []
                    let preferred: Int64? = row["preferred_relation_id"]
                    let shown = relations.first { $0.id == preferred } ?? relations.first { !$0.stale } ?? relations.first
                    let season: Int = row["season"]
                    bySeason[season, default: []].append(AdminTitleDetail.Episode(
                        id: row["public_id"], season: season, episodeNum: row["episode_num"], title: shown?.name ?? "",
                        served: preferred != nil, relations: relations))
                }
                seasons = bySeason.keys.sorted().map { AdminTitleDetail.Season(season: $0, episodes: bySeason[$0]!) }
            }
            let variants = try Self.variants(kind, entryID: titleID, db: db)
            return AdminTitleDetail(title: summary, relations: relations, seasons: seasons,
                                    variant: variants.first { $0.id == summary.id }?.key ?? "|", variants: variants)
        }
    }

    /// The served relation's file extension for a movie or episode public id (what playlists use), or
    /// nil when the title is not served.
    public func servedContainerExtension(episode: Bool, publicID: Int64) async throws -> String? {
        let sql = episode
            ? "SELECT r.container_extension FROM episode e JOIN episode_relation r ON r.id = e.preferred_relation_id WHERE e.public_id = ?"
            : "SELECT r.container_extension FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id WHERE m.public_id = ?"
        return try await pool.read { db in try String.fetchOne(db, sql: sql, arguments: [publicID]) }
    }

    /// The columns `relation(_:_:)` reads, of a relation aliased `r` of an account aliased `a`; the arguments
    /// are the expressions that differ between movies, series and episodes.
    static func relationColumns(providerID: String, containerExtension: String = "r.container_extension", name: String = "r.name",
                                categoryIDs: String = "r.category_ids", served: String) -> String {
        """
        r.id AS id, \(AdminAccountRef.columns), \(providerID) AS provider_id, \(containerExtension) AS container_extension,
        \(name) AS name, \(categoryIDs) AS category_ids, r.first_seen AS first_seen, r.last_seen AS last_seen, r.stale AS stale,
        r.stale_since AS stale_since, \(served) AS served
        """
    }

    static func relation(_ kind: AdminRelation.Kind, _ row: Row) -> AdminRelation {
        AdminRelation(
            kind: kind, id: row["id"], account: AdminAccountRef(row: row), providerID: row["provider_id"],
            containerExtension: row["container_extension"], name: row["name"], categoryIDs: (row["category_ids"] as String?).map(ids),
            firstSeen: row["first_seen"], lastSeen: row["last_seen"], stale: row["stale"], staleSince: row["stale_since"],
            served: row["served"] ?? false)
    }

    static func ids(_ json: String) -> [Int64] {
        (try? JSONDecoder().decode([Int64].self, from: Data(json.utf8))) ?? []
    }
}
