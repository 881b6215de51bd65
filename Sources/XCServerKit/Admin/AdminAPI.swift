import Hummingbird

/// The admin JSON API under `/api`, everything behind the bearer token (or a web page session). Each group of routes lives in
/// its own controller file; this is the one place that mounts them.
enum AdminAPI {
    static func register(on router: Router<XCRequestContext>, services: AppServices) {
        let api = router.group("api").add(middleware: AdminAuthMiddleware(token: services.config.adminToken, sessions: services.sessions))
        let groups: [any RouteGroup.Type] = [
            ConnectionsController.self, SyncController.self, AccountsController.self, UsersController.self, CategoriesController.self,
            CatalogController.self, EventsController.self, LiveChannelsController.self,
        ]
        for group in groups { group.init(services: services).register(on: api) }
        // Behind the token like every /api route: the document is the API's, not a public page.
        api.get("openapi.json") { _, _ in
            Response.json(openAPIDocument, status: .ok)
        }
    }

    /// `Sources/XCServerKit/Admin/openapi.json`, the contract the tests hold every admin answer to.
    static let openAPIDocument: [UInt8] = PackageResources.openapi_json
}
