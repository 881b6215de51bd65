import Hummingbird

/// Counts every request by its bounded route label and status. Added to the router before any route,
/// so it sees them all (and the 404s of paths no route matches).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = XCRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: XCRequestContext, next: (Request, XCRequestContext) async throws -> Response) async throws -> Response {
        let route = ServerMetrics.route(path: request.uri.path, action: request.uri.queryParameters["action"].map(String.init))
        do {
            let response = try await next(request, context)
            metrics.countRequest(route: route, status: response.status.code)
            return response
        } catch let error as HTTPResponseError {
            metrics.countRequest(route: route, status: error.status.code)
            throw error
        } catch {
            metrics.countRequest(route: route, status: 500)
            throw error
        }
    }
}

/// `GET /metrics`: the Prometheus text exposition. Not behind the admin token, as with most exporters
/// (it holds account names and counts, never credentials); keep it off the internet with the rest.
struct MetricsController: RouteGroup {
    let services: AppServices

    func register(on router: some RouterMethods<XCRequestContext>) {
        router.get("metrics") { _, _ in
            let snapshot = await services.slots.snapshot()
            let accounts = try await services.store.accounts().map { account in
                (name: account.name, activeSlots: snapshot.account(account.id!)?.load ?? 0, maxConnections: account.maxConnections)
            }
            services.metrics.setAccounts(accounts)
            services.metrics.setLiveViewers(services.live.channels.values.reduce(into: [:]) { viewers, state in
                viewers[String(state.id), default: 0] += state.viewers.count
            })
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: services.metrics.exposition())))
        }
    }
}
