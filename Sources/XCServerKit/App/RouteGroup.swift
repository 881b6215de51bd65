import Hummingbird

/// A group of routes in a file of its own, built from the services every route shares. `buildRouter` and
/// `AdminAPI` (under `/api`, behind the token) each mount theirs from one list.
protocol RouteGroup: Sendable {
    init(services: AppServices)
    func register(on routes: some RouterMethods<XCRequestContext>)
}
