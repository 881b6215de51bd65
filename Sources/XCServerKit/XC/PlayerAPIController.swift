import Hummingbird
import Logging
import NIOCore
import XCModels

/// `player_api.php`: login and every catalog action clients call.
///
/// Client mistakes never produce a 5xx: unknown actions answer `[]` (as panels do), unknown ids answer
/// empty shapes, wrong credentials `{"user_info":{"auth":0}}` (the table in docs/xc-wire.md).
struct PlayerAPIController: RouteGroup {
    let services: AppServices

    func register(on router: some RouterMethods<XCRequestContext>) {
        router.get("player_api.php") { request, context in try await handle(request, context) }
        router.post("player_api.php") { request, context in try await handle(request, context) }
    }

    func handle(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        let (found, generation) = try await services.authenticate(username: query.username, password: query.password)
        guard let login = found else {
            services.logger.info("[api] rejected login for '\(query.username)' from \(context.clientIP)")
            return .json(AuthAnswer.rejected)
        }
        let user = login.user
        let action = query["action"] ?? ""
        services.logger.debug("[api] \(user.username) \(action.isEmpty ? "login" : action)")
        let store = services.store
        let scope = CatalogScope(login)
        let cached = CachedResponses(cache: services.answers, view: user.id!, generation: generation)
        switch XCAction(rawValue: action) {
        case .login:
            return .json(AuthAnswer.write(
                user: user, activeConnections: await services.activeConnections(userID: user.id!),
                server: ServerAddress.from(request, config: services.config), timeZone: services.config.timeZone))
        case .vodCategories:
            return try await cached.small(AnswerKey(.vodCategories)) {
                try await CatalogLists.categories(kind: .movie, store: store, scope: scope)
            }
        case .seriesCategories:
            return try await cached.small(AnswerKey(.seriesCategories)) {
                try await CatalogLists.categories(kind: .series, store: store, scope: scope)
            }
        case .liveCategories:
            return try await cached.small(AnswerKey(.liveCategories)) {
                try await CatalogLists.liveCategories(store: store, scope: scope)
            }
        case .liveStreams:
            let category = query.int("category_id")
            return cached.list(AnswerKey(.liveStreams, category), request: request,
                               producer: CatalogLists.liveStreams(store: store, categoryID: category, scope: scope))
        case .vodStreams:
            let category = query.int("category_id")
            return cached.list(AnswerKey(.vodStreams, category), request: request,
                               producer: CatalogLists.vodStreams(store: store, categoryID: category, scope: scope))
        case .series:
            let category = query.int("category_id")
            return cached.list(AnswerKey(.series, category), request: request,
                               producer: CatalogLists.series(store: store, categoryID: category, scope: scope))
        case .vodInfo:
            return try await vodInfo(query, scope: scope, cached: cached)
        case .seriesInfo:
            return try await seriesInfo(query, scope: scope, cached: cached)
        case .shortEPG, .simpleDataTable:
            return .json(try await GuideAnswers.listings(
                publicID: query.int("stream_id"), limit: query.int("limit").map { Int(clamping: $0) }, full: action == XCAction.simpleDataTable.rawValue,
                store: store, scope: scope, zone: services.config.timeZone))
        case nil:
            services.logger.debug("[api] unknown action '\(action)' answered with []")
            return .json(Array("[]".utf8))
        }
    }

    /// A film whose detail is missing is kept too, with the fetch to ask for again on every hit: the
    /// fetch guard decides whether it goes out, and its result, once written, drops the kept answer.
    private func vodInfo(_ query: XCQuery, scope: CatalogScope, cached: CachedResponses) async throws -> Response {
        guard let id = query.int("vod_id") else { return .json(VodInfoAnswer.unknown) }
        let key = AnswerKey(.vodInfo, id)
        if let hit = cached.hit(key) {
            if case .movieDetail(let movieID, let account, let streamID)? = hit.followUp {
                services.details.request(movieID: movieID, account: account, streamID: streamID)
            }
            return CachedResponses.plain(hit)
        }
        guard let found = try await VodInfoAnswer.answer(publicID: id, store: services.store, scope: scope) else {
            return .json(VodInfoAnswer.unknown)
        }
        var followUp: FollowUp?
        if let missing = found.missingDetail, let account = try await services.store.account(id: missing.accountID) {
            services.details.request(movieID: missing.movieID, account: account, streamID: missing.streamID)
            followUp = .movieDetail(movieID: missing.movieID, account: account, streamID: missing.streamID)
        }
        cached.keep(key, CachedAnswer(plain: AnswerBytes(found.bytes), followUp: followUp))
        return .json(found.bytes)
    }

    /// A series whose episodes were never fetched is kept with that fetch as follow-up: a hit tries it
    /// first (the fetch guard answers at once while the provider is backing off) and renders anew when
    /// it wrote episodes.
    private func seriesInfo(_ query: XCQuery, scope: CatalogScope, cached: CachedResponses) async throws -> Response {
        guard let id = query.int("series_id") else { return .json(SeriesInfoAnswer.unknown) }
        let key = AnswerKey(.seriesInfo, id)
        var cached = cached
        if let hit = cached.hit(key) {
            guard case .episodes(let seriesID)? = hit.followUp else { return CachedResponses.plain(hit) }
            await services.episodes.fetch(seriesID: seriesID, budget: services.config.onDemandBudget)
            let now = services.answers.generation()
            if now == cached.generation { return CachedResponses.plain(hit) }
            cached.generation = now
        }
        guard var series = try await SeriesInfoAnswer.lookup(publicID: id, store: services.store, scope: scope) else {
            return .json(SeriesInfoAnswer.unknown)
        }
        if series.unfetched {
            await services.episodes.fetch(seriesID: series.seriesID, budget: services.config.onDemandBudget)
            // What the fetch wrote is a new generation; the answer is read after it.
            cached.generation = services.answers.generation()
            series = try await SeriesInfoAnswer.lookup(publicID: id, store: services.store, scope: scope) ?? series
        }
        let bytes = try await SeriesInfoAnswer.answer(seriesID: series.seriesID, store: services.store) ?? SeriesInfoAnswer.unknown
        cached.keep(key, CachedAnswer(plain: AnswerBytes(bytes), followUp: series.unfetched ? .episodes(seriesID: series.seriesID) : nil))
        return .json(bytes)
    }
}
