import Hummingbird
import Logging
import XCModels

/// `player_api.php`: login and every catalog action clients call.
///
/// Client mistakes never produce a 5xx: unknown actions answer `[]` (as panels do), unknown ids answer
/// empty shapes, wrong credentials `{"user_info":{"auth":0}}` (the table in docs/xc-wire.md).
struct PlayerAPIController: Sendable {
    let services: AppServices

    func register(on router: Router<XCRequestContext>) {
        router.get("player_api.php") { request, context in try await handle(request, context) }
        router.post("player_api.php") { request, context in try await handle(request, context) }
    }

    func handle(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        guard let login = try await services.store.authenticate(username: query.username, password: query.password) else {
            services.logger.info("[api] rejected login for '\(query.username)' from \(context.clientIP)")
            return .json(AuthAnswer.rejected)
        }
        let user = login.user
        let action = query["action"] ?? ""
        services.logger.debug("[api] \(user.username) \(action.isEmpty ? "login" : action)")
        let store = services.store
        let scope = CatalogScope(login)
        switch XCAction(rawValue: action) {
        case .login:
            return .json(AuthAnswer.write(
                user: user, activeConnections: await services.activeConnections(userID: user.id!),
                server: ServerAddress.from(request, config: services.config), timeZone: services.config.timeZone))
        case .vodCategories:
            return .json(try await CatalogLists.categories(kind: .movie, store: store, scope: scope))
        case .seriesCategories:
            return .json(try await CatalogLists.categories(kind: .series, store: store, scope: scope))
        case .liveCategories:
            return .json(try await CatalogLists.liveCategories(store: store, scope: scope))
        case .liveStreams:
            return StreamedBody.response(for: request, contentType: "application/json; charset=utf-8",
                                         producer: CatalogLists.liveStreams(store: store, categoryID: query.int("category_id"), scope: scope))
        case .vodStreams:
            return StreamedBody.response(for: request, contentType: "application/json; charset=utf-8",
                                         producer: CatalogLists.vodStreams(store: store, categoryID: query.int("category_id"), scope: scope))
        case .series:
            return StreamedBody.response(for: request, contentType: "application/json; charset=utf-8",
                                         producer: CatalogLists.series(store: store, categoryID: query.int("category_id"), scope: scope))
        case .vodInfo:
            return try await vodInfo(query, scope: scope)
        case .seriesInfo:
            return try await seriesInfo(query, scope: scope)
        case .shortEPG, .simpleDataTable:
            return .json(try await GuideAnswers.listings(
                publicID: query.int("stream_id"), limit: query.int("limit").map { Int(clamping: $0) }, full: action == XCAction.simpleDataTable.rawValue,
                store: store, scope: scope, zone: services.config.timeZone))
        case nil:
            services.logger.debug("[api] unknown action '\(action)' answered with []")
            return .json(Array("[]".utf8))
        }
    }

    private func vodInfo(_ query: XCQuery, scope: CatalogScope) async throws -> Response {
        guard let id = query.int("vod_id"), let found = try await VodInfoAnswer.answer(publicID: id, store: services.store, scope: scope) else {
            return .json(VodInfoAnswer.unknown)
        }
        if let missing = found.missingDetail, let account = try await services.store.account(id: missing.accountID) {
            services.details.request(movieID: missing.movieID, account: account, streamID: missing.streamID)
        }
        return .json(found.bytes)
    }

    private func seriesInfo(_ query: XCQuery, scope: CatalogScope) async throws -> Response {
        guard let id = query.int("series_id"), let series = try await SeriesInfoAnswer.lookup(publicID: id, store: services.store, scope: scope) else {
            return .json(SeriesInfoAnswer.unknown)
        }
        if series.unfetched {
            await services.episodes.fetch(seriesID: series.seriesID, budget: services.config.onDemandBudget)
        }
        return .json(try await SeriesInfoAnswer.answer(publicID: id, store: services.store) ?? SeriesInfoAnswer.unknown)
    }
}
