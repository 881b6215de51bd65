import Foundation
import Hummingbird
import XCModels

/// The catalog, for curl and scripts:
///
/// - `GET /api/vod/movies?category=&year=&q=&page=&per_page=&all=` and `GET /api/vod/series?…` →
///   `{"items": [Title], "page", "per_page", "total"}`, ordered by public id. `category`: a merged
///   category id (`GET /api/categories`); `year`: the title's year; `q`: case-insensitive substring of
///   the shown name; `page` ≥ 1 (default 1); `per_page` 1–500 (default 50). Only **served** titles
///   (those clients see) are listed unless `all=true`, which adds titles whose every relation is stale
///   or on a disabled account or category (`served: false`). A bad value is 400 naming the parameter.
/// - `GET /api/vod/movies/{id}` → `{"movie": Title + "relations": [Relation]}`;
///   `GET /api/vod/series/{id}` → `{"series": Title + "relations": [Relation], "seasons": [{"season",
///   "episodes": [{"id", "season", "episode_num", "title", "served", "relations": [Relation]}]}]}`.
///   `{id}` is the public id clients see; relations are in admission order; stale titles are shown too.
/// - `GET /api/vod/movies/{id}/stream?user=NAME` and `GET /api/vod/episodes/{id}/stream?user=NAME` →
///   `{"url": "http://HOST:PORT/movie/USER/PASS/ID.EXT", "user", "account": {"id", "name"} | null,
///   "candidates": [Candidate]}`: the xcserver stream URL for that user (default: the first active
///   user by id), and the account a new viewing would be served from now: the first candidate in
///   admission order that is enabled, not backing off and under its `max_connections` in the slot
///   core (`null` when none has room; the stream would get 503), and the `variant` it would serve
///   (`{"id", "key"}`: the entry's public id and variant key; `null` with the account). For a login
///   with `variants: best` the candidates span the title's variants in the login's preference order,
///   each naming its `variant`. The URL carries the user's password,
///   as every XC stream URL does. 404 for an unknown or unserved title, one outside the user's
///   allow-list, an unknown user, or when there are no users.
///
/// A `Title` is `{"id", "name", "year", "tmdb", "imdb", "category_ids", "icon", "served", "account":
/// {"id", "name", "priority", "enabled"}, "relations": N}` plus `container_extension` (movies) or
/// `episodes` (series: served episodes). A `Relation` is `{"id", "account", "stream_id"` (movies,
/// episodes) or `"series_id"` (series), `"container_extension"` (movies, episodes), `"name"`,
/// `"category_ids"` (movies, series), `"first_seen", "last_seen", "stale", "stale_since", "served"}`.
/// A `Candidate` is `{"account_id", "account_name", "priority", "enabled", "load", "max_connections",
/// "backoff_seconds", "has_room"}`.
struct CatalogController: RouteGroup {
    let services: AppServices
    static let perPageRange = 1...500
    static let defaultPerPage = 50

    struct MovieAnswer: Encodable { var movie: AdminTitleDetail }
    struct SeriesAnswer: Encodable { var series: AdminTitleDetail }

    struct StreamAnswer: Encodable {
        struct AccountRef: Encodable {
            var id: Int64
            var name: String
        }

        struct VariantRef: Encodable, Equatable {
            var id: Int64
            var key: String
        }

        struct Candidate: Encodable {
            var accountID: Int64
            var accountName: String
            var priority: Int
            var enabled: Bool
            var load: Int
            var maxConnections: Int
            @Nullable var backoffSeconds: Double?
            var hasRoom: Bool
            var variant: VariantRef
        }

        var url: String
        var user: String
        @Nullable var account: AccountRef?
        @Nullable var variant: VariantRef?
        var candidates: [Candidate]    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("vod/movies") { request, _ in try await page(.movie, request) }
        api.get("vod/series") { request, _ in try await page(.series, request) }
        api.get("vod/movies/:id") { _, context in
            try AdminJSON.response(MovieAnswer(movie: try await title(.movie, context)))
        }
        api.get("vod/series/:id") { _, context in
            try AdminJSON.response(SeriesAnswer(series: try await title(.series, context)))
        }
        api.get("vod/movies/:id/stream") { request, context in try await stream(.movie, request, context) }
        api.get("vod/episodes/:id/stream") { request, context in try await stream(.episode, request, context) }
    }

    private func page(_ kind: CatalogKind, _ request: Request) async throws -> Response {
        let query = AdminCatalogQuery(
            kind: kind,
            categoryID: try AdminInput.intQuery(request, "category").map(Int64.init),
            year: try AdminInput.intQuery(request, "year"),
            text: AdminInput.query(request, "q"),
            page: try AdminInput.intQuery(request, "page", in: 1...1_000_000) ?? 1,
            perPage: try AdminInput.intQuery(request, "per_page", in: Self.perPageRange) ?? Self.defaultPerPage,
            includeUnserved: try AdminInput.boolQuery(request, "all") ?? false)
        return try AdminJSON.response(try await services.store.catalogPage(query))
    }

    private func title(_ kind: CatalogKind, _ context: XCRequestContext) async throws -> AdminTitleDetail {
        let what = kind == .movie ? "movie" : "series"
        let id = try AdminInput.pathID(context, "id", what: what)
        guard let title = try await services.store.catalogTitle(kind: kind, publicID: id) else {
            throw APIError.notFound("no \(what) with id \(id)")
        }
        return title
    }

    private func stream(_ kind: ContentKind, _ request: Request, _ context: XCRequestContext) async throws -> Response {
        let what = kind == .movie ? "movie" : "episode"
        let id = try AdminInput.pathID(context, "id", what: what)
        let user = try await streamUser(request)
        let store = services.store
        guard let ext = try await store.servedContainerExtension(episode: kind == .episode, publicID: id),
              try await StreamTitle.lookup(kind: kind, publicID: id, store: store, scope: .everything) != nil
        else { throw APIError.notFound("no served \(what) with id \(id)") }
        let scope = try await CatalogScope.of(user, store: store)
        guard let title = try await StreamTitle.lookup(kind: kind, publicID: id, store: store, scope: scope) else {
            throw APIError.notFound("\(what) \(id) is outside the categories user '\(user.username)' may see")
        }
        let snapshot = await services.slots.snapshot()
        let candidates = Self.candidates(title, snapshot: snapshot)
        let chosen = candidates.first(where: \.hasRoom)
        let server = ServerAddress.from(request, config: services.config)
        let url = server.baseURL + StreamPath(
            kind: kind, username: user.username, password: user.password, id: id, ext: ext.isEmpty ? "mp4" : ext).path
        return try AdminJSON.response(StreamAnswer(
            url: url, user: user.username, account: chosen.map { .init(id: $0.accountID, name: $0.accountName) },
            variant: chosen?.variant, candidates: candidates))
    }

    /// Every account holding the title, in variant preference then admission order, with whether a new
    /// viewing would get it now (the slot core's rule, ignoring the zapping of a viewer's own lingering
    /// slots). An account is listed once per variant.
    static func candidates(_ title: StreamTitle, snapshot: SlotSnapshot) -> [StreamAnswer.Candidate] {
        var seen: Set<String> = []
        let ordered = title.targets.sorted { SlotCandidate.admissionOrder($0.candidate, $1.candidate) }
        return ordered.compactMap { target in
            let candidate = target.candidate
            guard seen.insert("\(target.entryPublicID) \(candidate.accountID)").inserted else { return nil }
            let load = snapshot.capacityLoad(of: candidate)
            let backoff = snapshot.account(candidate.accountID)?.backoffSeconds
            return StreamAnswer.Candidate(
                accountID: candidate.accountID, accountName: candidate.accountName, priority: candidate.priority,
                enabled: candidate.enabled, load: load, maxConnections: candidate.maxConnections, backoffSeconds: backoff,
                hasRoom: candidate.enabled && backoff == nil && load < candidate.maxConnections,
                variant: .init(id: target.entryPublicID, key: target.variantKey))
        }
    }

    /// `?user=NAME`, else the first active user (by id), else the first user.
    private func streamUser(_ request: Request) async throws -> User {
        if let name = AdminInput.query(request, "user"), !name.isEmpty {
            guard let user = try await services.store.user(named: name) else {
                throw APIError.notFound("no user '\(name)'")
            }
            return user
        }
        let users = try await services.store.users()
        guard let user = users.first(where: { $0.isActive() }) ?? users.first else {
            throw APIError.notFound("there are no users; add one with POST /api/users")
        }
        return user
    }
}
