import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The admin web page at `/admin`: a few files of our own HTML, CSS and JavaScript compiled into the
/// binary (`Web/Assets`), which talk to the documented admin API (`/api`) with the session cookie.
/// The page holds no logic of its own about accounts or slots; it renders what the API answers.
///
/// - `GET /admin/signin` the sign-in form; `POST /admin/signin` (`token=…`, form-encoded) checks the
///   admin token, opens a session (`SessionCookie`) and sends the browser to `/admin`; 401 again
///   with the form on a wrong token.
/// - `GET /admin`, `/admin/accounts`, `/admin/logins`, `/admin/categories`, `/admin/catalog`: the page,
///   only with a live session (else 303 to the sign-in form); the session's CSRF token is written into
///   it for the scripts to send back as `X-CSRF-Token`.
/// - `POST /admin/signout` (`csrf=…`) ends the session.
/// - `GET /admin/assets/NAME`: the scripts and the style sheet (no secrets in them, no session needed).
struct AdminPage: Sendable {
    let services: AppServices
    static let pages = ["accounts", "logins", "categories", "catalog"]

    static let assets: [String: (type: String, bytes: [UInt8])] = [
        "admin.css": ("text/css; charset=utf-8", PackageResources.admin_css),
        "core.js": ("text/javascript; charset=utf-8", PackageResources.core_js),
        "dashboard.js": ("text/javascript; charset=utf-8", PackageResources.dashboard_js),
        "accounts.js": ("text/javascript; charset=utf-8", PackageResources.accounts_js),
        "logins.js": ("text/javascript; charset=utf-8", PackageResources.logins_js),
        "categories.js": ("text/javascript; charset=utf-8", PackageResources.categories_js),
        "catalog.js": ("text/javascript; charset=utf-8", PackageResources.catalog_js),
    ]
    static let shell = String(decoding: PackageResources.admin_html, as: UTF8.self)
    static let signInForm = String(decoding: PackageResources.signin_html, as: UTF8.self)

    /// Only our own files may run or style the page, and no other site may frame it.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        // Not `no-referrer`: with it, browsers send `Origin: null` with the sign-in form, which `sameOrigin` refuses.
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    static func register(on router: Router<XCRequestContext>, services: AppServices) {
        let page = AdminPage(services: services)
        router.get("admin") { request, _ in page.app(request) }
        for name in pages {
            router.get("admin/\(name)") { request, _ in page.app(request) }
        }
        router.get("admin/signin") { request, _ in
            page.session(request) == nil ? html(signIn(message: nil)) : redirect("/admin")
        }
        router.post("admin/signin") { request, context in try await page.signIn(request, context) }
        router.post("admin/signout") { request, context in try await page.signOut(request, context) }
        router.get("admin/assets/:name") { _, context in
            guard let asset = assets[context.parameters.get("name") ?? ""] else {
                return Response.text("no such file", status: .notFound)
            }
            var headers = securityHeaders
            headers[.contentType] = asset.type
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
    }

    private func session(_ request: Request) -> AdminSessionTable.Session? {
        SessionCookie.value(in: request).flatMap(services.sessions.session)
    }

    private func app(_ request: Request) -> Response {
        guard let session = session(request) else { return Self.redirect("/admin/signin") }
        return Self.html(Self.shell.replacingOccurrences(of: "{{csrf}}", with: session.csrf))
    }

    private func signIn(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        guard Self.sameOrigin(request) else { return Self.html(Self.signIn(message: "Sign in from this server's own page."), status: .forbidden) }
        let form = try await Self.form(request, context)
        guard let configured = services.config.adminToken, !configured.isEmpty else {
            return Self.html(Self.signIn(message: "This server has no admin token; start it with --admin-token or XC_ADMIN_TOKEN."), status: .unauthorized)
        }
        guard let token = form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines),
              AdminAuthMiddleware.constantTimeEqual(token, configured) else {
            services.logger.info("[api] web sign-in refused: wrong admin token from \(context.clientIP)")
            return Self.html(Self.signIn(message: "That is not the admin token (xcserver admin-token prints it)."), status: .unauthorized)
        }
        let session = services.sessions.open()
        services.logger.info("[api] web sign-in from \(context.clientIP)")
        var response = Self.redirect("/admin")
        response.headers[.setCookie] = SessionCookie.setting(session.id)
        return response
    }

    private func signOut(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let form = try await Self.form(request, context)
        guard let id = SessionCookie.value(in: request), let session = services.sessions.session(id) else {
            return Self.redirect("/admin/signin")
        }
        guard let csrf = form["csrf"], AdminAuthMiddleware.constantTimeEqual(csrf, session.csrf) else {
            return Response.text("sign-out needs the page's CSRF token; reload the page and try again", status: .forbidden)
        }
        services.sessions.close(id)
        services.logger.info("[api] web sign-out from \(context.clientIP)")
        var response = Self.redirect("/admin/signin")
        response.headers[.setCookie] = SessionCookie.clearing
        return response
    }

    static func signIn(message: String?) -> String {
        let note = message.map { #"<p class="error" role="alert">\#($0)</p>"# } ?? ""
        return signInForm.replacingOccurrences(of: "{{message}}", with: note)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// A browser sends `Origin` with a form post; one naming another site is a cross-site post.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// An `application/x-www-form-urlencoded` body as a dictionary (the last value of a repeated name).
    static func form(_ request: Request, _ context: XCRequestContext) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return formFields(String(buffer: body))
    }

    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }
}
