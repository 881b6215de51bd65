import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Sync
import Testing
@testable import XCServerKit

/// The web page's sign-in, session cookie and CSRF rule over real HTTP (no browser: `AdminBrowserTests`
/// drives Chromium). Redirects are not followed, so each 303 and cookie is seen as the browser sees it.
@Suite struct AdminPageTests {
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        var location: String? { headers.first(name: "Location") }
    }

    /// One client for the whole test process, never following redirects.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// One request without following redirects.
    static func send(_ env: TestEnvironment, _ path: String, _ method: HTTPMethod = .GET, cookie: String? = nil,
                     headers: [(String, String)] = [], body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: env.baseURL + path)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: "\(SessionCookie.name)=\(cookie)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, text: String(buffer: collected))
    }

    static let form = ("Content-Type", "application/x-www-form-urlencoded")

    /// Signs in with the admin token; returns the session cookie's value and the page's CSRF token.
    static func signIn(_ env: TestEnvironment) async throws -> (cookie: String, csrf: String) {
        let answer = try await send(env, "/admin/signin", .POST, headers: [form], body: "token=\(adminAPITestToken)")
        #expect(answer.status == 303 && answer.location == "/admin", "\(answer)")
        let setCookie = try #require(answer.headers.first(name: "Set-Cookie"))
        #expect(setCookie.hasSuffix("; HttpOnly; SameSite=Strict; Path=/"), "\(setCookie)")
        let cookie = String(setCookie.dropFirst(SessionCookie.name.count + 1).prefix { $0 != ";" })
        let page = try await send(env, "/admin", cookie: cookie)
        #expect(page.status == 200)
        let csrf = try #require(page.text.firstMatch(of: /name="csrf-token" content="([0-9a-f]{64})"/)?.1)
        return (cookie, String(csrf))
    }

    @Test func pagesNeedASessionAndTheTokenOpensOne() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            for path in ["/admin", "/admin/accounts", "/admin/logins", "/admin/categories", "/admin/catalog"] {
                let answer = try await Self.send(env, path)
                #expect(answer.status == 303 && answer.location == "/admin/signin", "\(path): \(answer.status)")
                #expect(!answer.text.contains("csrf"))
                let forged = try await Self.send(env, path, cookie: AdminSessions.randomToken())
                #expect(forged.status == 303, "an unknown session id opens nothing")
            }
            let form = try await Self.send(env, "/admin/signin")
            #expect(form.status == 200 && form.text.contains(#"name="token""#))
            #expect(form.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)

            // A wrong token, an XC login's password, or no token at all: the form again, with 401, and no cookie.
            for body in ["token=wrong", "token=\(TestEnvironment.userPassword)", "", "token="] {
                let refused = try await Self.send(env, "/admin/signin", .POST, headers: [Self.form], body: body)
                #expect(refused.status == 401 && refused.headers.first(name: "Set-Cookie") == nil, "\(body)")
                #expect(refused.text.contains("not the admin token"))
            }
            // Another site's page posting the sign-in form.
            let crossSite = try await Self.send(env, "/admin/signin", .POST, headers: [Self.form, ("Origin", "http://evil.example")],
                                                body: "token=\(adminAPITestToken)")
            #expect(crossSite.status == 403 && crossSite.headers.first(name: "Set-Cookie") == nil)

            let (cookie, csrf) = try await Self.signIn(env)
            #expect((try await Self.send(env, "/admin/signin", cookie: cookie)).location == "/admin")
            let script = try await Self.send(env, "/admin/assets/core.js")
            #expect(script.status == 200 && script.headers.first(name: "Content-Type")?.hasPrefix("text/javascript") == true)
            #expect(script.text.contains("X-CSRF-Token"))
            #expect(try await Self.send(env, "/admin/assets/nope.js").status == 404)
            #expect(!csrf.isEmpty)
        }
    }

    @Test func theSessionOpensTheAPIAndStateChangesNeedTheCSRFToken() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            let (cookie, csrf) = try await Self.signIn(env)
            let read = try await Self.send(env, "/api/accounts", cookie: cookie)
            #expect(read.status == 200 && read.text.contains("\"alpha\""))

            let before = try await env.count("SELECT COUNT(*) FROM user")
            let json = ("Content-Type", "application/json")
            let create = #"{"username":"kids","password":"cartoons"}"#
            for headers in [[json], [json, ("X-CSRF-Token", csrf.dropLast() + (csrf.hasSuffix("a") ? "b" : "a"))], [json, ("X-CSRF-Token", "")]] {
                let refused = try await Self.send(env, "/api/users", .POST, cookie: cookie, headers: headers, body: create)
                #expect(refused.status == 403 && refused.text.contains("\"csrf\""), "\(refused.text)")
            }
            #expect(try await env.count("SELECT COUNT(*) FROM user") == before, "a refused call wrote nothing")
            let made = try await Self.send(env, "/api/users", .POST, cookie: cookie, headers: [json, ("X-CSRF-Token", csrf)], body: create)
            #expect(made.status == 201, "\(made.text)")
            // A wrong bearer token is not rescued by a cookie.
            let mixed = try await Self.send(env, "/api/accounts", cookie: cookie, headers: [("Authorization", "Bearer wrong")])
            #expect(mixed.status == 401)

            // Sign-out needs the CSRF token too, then the cookie opens nothing.
            let noToken = try await Self.send(env, "/admin/signout", .POST, cookie: cookie, headers: [Self.form], body: "")
            #expect(noToken.status == 403)
            let out = try await Self.send(env, "/admin/signout", .POST, cookie: cookie, headers: [Self.form], body: "csrf=\(csrf)")
            #expect(out.status == 303 && out.location == "/admin/signin")
            #expect(out.headers.first(name: "Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try await Self.send(env, "/api/accounts", cookie: cookie).status == 401)
            #expect(try await Self.send(env, "/admin", cookie: cookie).status == 303)
        }
    }

    /// The slot core and the sync jobs signal their changes (what makes the event stream push at once),
    /// each only for its own changes.
    @Test func slotsAndJobsSignalTheirChanges() async throws {
        try await TestEnvironment.withAdminAPI(sync: true) { env in
            let (slotChanges, slotWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let (jobChanges, jobWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let slotSignal = try #require(env.services.slots.changes)
            let slotListener = slotSignal.add(slotWake)
            let jobListener = env.services.jobs.changes.add(jobWake)
            var slots = slotChanges.makeAsyncIterator()
            var jobs = jobChanges.makeAsyncIterator()

            let movie = try await env.request(env.moviePath(10001))
            #expect(movie.status == 200 || movie.status == 206)
            jobWake.finish()
            #expect(await jobs.next() == nil, "no job changed")
            #expect(await slots.next() != nil, "a viewing's slot was signalled")
            // The lingering slot names its title as clients know it.
            let slot = try await env.callJSON("/api/connections")["slots"][0]
            #expect(slot["title"]["id"].int == 10001 && slot["title"]["name"].string?.contains("Matrix") == true, "\(slot)")

            let (jobChanges2, jobWake2) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            env.services.jobs.changes.remove(jobListener)
            let jobListener2 = env.services.jobs.changes.add(jobWake2)
            var jobs2 = jobChanges2.makeAsyncIterator()
            let started = try await env.callJSON("/api/sync", .POST, json: #"{"account":"beta","episodes":false}"#, expect: 202)
            #expect(await jobs2.next() != nil, "the job was signalled")
            slotSignal.remove(slotListener)
            env.services.jobs.changes.remove(jobListener2)
            #expect(slotSignal.listenerCount == 0 && env.services.jobs.changes.listenerCount == 0)
            _ = await env.services.jobs.wait(started["job"]["id"].int ?? -1)
        }
    }

    @Test func theEventStreamSendsTheAnswersOfTheAPI() async throws {
        try await TestEnvironment.withAdminAPI(sync: true) { env in
            let reply = try await env.call("/api/events?seconds=0")
            #expect(reply.status == 200)
            let connections = try #require(reply.text.firstMatch(of: /event: connections\ndata: (.*)\n/)?.1)
            let direct = try await env.call("/api/connections")
            let pushed = try JSONDecoder().decode(ProviderValue.self, from: Data(connections.utf8))
            let answered = try direct.json()
            #expect(pushed["accounts"] == answered["accounts"] && pushed["accounts"].items.count == 2)
            #expect(reply.text.hasPrefix("retry: "))
        }
    }
}
