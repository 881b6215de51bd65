import Hummingbird

/// Guards every `/api/...` route with the admin bearer token, and turns the errors routes throw into
/// the API's JSON error shape. XC client credentials never open the admin API.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = XCRequestContext
    let token: String?

    func handle(_ request: Request, context: XCRequestContext, next: (Request, XCRequestContext) async throws -> Response) async throws -> Response {
        guard Self.isAuthorized(request, token: token) else { throw APIError.unauthorized }
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            if let apiError = APIError.from(error) { throw apiError }
            throw error
        }
    }

    /// Whether `request` presents the admin token; never when no token is configured.
    static func isAuthorized(_ request: Request, token: String?) -> Bool {
        guard let token, !token.isEmpty, let presented = bearer(request) else { return false }
        return constantTimeEqual(presented, token)
    }

    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
    }

    /// Compares without an early exit, so response timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
