import Hummingbird

/// Answers requests under `/api` that match no route in the API's error shape: 401 without the token
/// (a caller without it learns nothing about which routes exist), else 404 naming the method and path.
/// Hummingbird answers every unmatched request (unknown path or method) with a bare `HTTPError(.notFound)`
/// from its not-found responder, which router-level middleware wraps; the routes' own 404s are
/// `APIError`s and pass through untouched.
struct AdminNotFoundMiddleware: RouterMiddleware {
    typealias Context = XCRequestContext
    let token: String?
    let sessions: AdminSessions

    func handle(_ request: Request, context: XCRequestContext, next: (Request, XCRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            guard path == "/api" || path.hasPrefix("/api/") else { throw error }
            guard AdminAuthMiddleware.isSignedIn(request, token: token, sessions: sessions) else { throw APIError.unauthorized }
            throw APIError.notFound("no admin API route \(request.method) \(path); GET /api/openapi.json lists them")
        }
    }
}
