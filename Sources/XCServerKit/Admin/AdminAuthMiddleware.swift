import HTTPTypes
import Hummingbird

/// Guards every `/api/...` route with the admin bearer token or a web page session, and turns the
/// errors routes throw into the API's JSON error shape. XC client credentials never open the admin API.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = XCRequestContext
    let token: String?
    let sessions: AdminSessions

    func handle(_ request: Request, context: XCRequestContext, next: (Request, XCRequestContext) async throws -> Response) async throws -> Response {
        try Self.authorize(request, token: token, sessions: sessions)
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            if let apiError = APIError.from(error) { throw apiError }
            throw error
        }
    }

    /// The CSRF token header a state-changing call made with the session cookie must carry.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// Passes with the admin token (`Authorization: Bearer`), or with the session cookie of a signed-in
    /// web page; with the cookie, a call that may change something (not GET/HEAD) must also echo the
    /// session's CSRF token in `X-CSRF-Token`: a browser sends the cookie with any request to this
    /// host, a script of another site cannot read the token. 401 otherwise, 403 for a missing token.
    static func authorize(_ request: Request, token: String?, sessions: AdminSessions) throws(APIError) {
        if isAuthorized(request, token: token) { return }
        guard bearer(request) == nil, let id = SessionCookie.value(in: request), let session = sessions.session(id) else {
            throw APIError.unauthorized
        }
        if request.method == .get || request.method == .head { return }
        guard let presented = request.headers[csrfHeader], constantTimeEqual(presented, session.csrf) else {
            throw APIError.csrf
        }
    }

    /// Whether `request` presents the admin token; never when no token is configured.
    static func isAuthorized(_ request: Request, token: String?) -> Bool {
        guard let token, !token.isEmpty, let presented = bearer(request) else { return false }
        return constantTimeEqual(presented, token)
    }

    /// Whether `request` presents the admin token or a live session (CSRF aside): it may learn which routes exist.
    static func isSignedIn(_ request: Request, token: String?, sessions: AdminSessions) -> Bool {
        if isAuthorized(request, token: token) { return true }
        return bearer(request) == nil && SessionCookie.value(in: request).flatMap(sessions.session) != nil
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
