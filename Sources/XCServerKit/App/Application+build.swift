import Hummingbird
import Logging
import NIOCore

/// Builds the HTTP application: the XC API (`player_api.php`, `get.php`, `xmltv.php`), the stream
/// paths, the admin API, the admin web page (`/admin`) and `/metrics`. Used by `serve`, `demo` and the tests alike.
func buildApplication(
    services: AppServices,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services: services),
        configuration: .init(address: .hostname(services.config.host, port: services.config.port), serverName: "xcserver"),
        services: [SlotSweeper(slots: services.slots, sockets: services.sockets),
                   SyncScheduler(jobs: services.jobs, interval: services.config.syncInterval, logger: services.logger),
                   GuideScheduler(sync: services.sync, interval: services.config.epgInterval, logger: services.logger)],
        onServerRunning: onServerRunning,
        logger: services.logger
    )
}

/// Every route xcserver answers; separate from the application so tests can list the routes.
func buildRouter(services: AppServices) -> Router<XCRequestContext> {
    let router = Router(context: XCRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: AdminNotFoundMiddleware(token: services.config.adminToken, sessions: services.sessions))
    router.add(middleware: LiveShortPathMiddleware(live: LiveStreamController(services: services)))
    let groups: [any RouteGroup.Type] = [
        MetricsController.self, PlayerAPIController.self, PlaylistController.self, StreamController.self, CatchUpController.self,
        LiveStreamController.self, HLSController.self,
    ]
    for group in groups { group.init(services: services).register(on: router) }
    AdminAPI.register(on: router, services: services)
    AdminPage.register(on: router, services: services)
    router.get("health") { _, _ in "ok\n" }
    return router
}
