import Foundation
import NIOHTTP1
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// Every accounts, users, categories and catalog route refuses a missing or wrong token with the
/// JSON error shape and changes nothing; with the token it answers.
@Suite struct AdminAuthRoutesTests {
    struct Route: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var path: String
        var json: String?
        /// The status the route answers with the right token (on the fixture catalog).
        var status: Int
        var description: String { "\(method) \(path)" }
    }

    /// Every route, on ids of the synced fixture catalog (`action`: alpha's movie Action category).
    static func routes(action: Int64) -> [Route] { [
        Route(method: .GET, path: "/api/accounts", status: 200),
        Route(method: .POST, path: "/api/accounts",
              json: #"{"name":"gamma","url":"http://127.0.0.1:1","username":"g","password":"g"}"#, status: 201),
        Route(method: .GET, path: "/api/accounts/alpha", status: 200),
        Route(method: .PATCH, path: "/api/accounts/alpha", json: #"{"max_connections":1}"#, status: 200),
        Route(method: .POST, path: "/api/accounts/alpha/test", status: 200),
        Route(method: .POST, path: "/api/accounts/test",
              json: #"{"name":"trial","url":"http://127.0.0.1:1","username":"g","password":"g"}"#, status: 502),
        Route(method: .GET, path: "/api/users", status: 200),
        Route(method: .POST, path: "/api/users", json: #"{"username":"new","password":"new"}"#, status: 201),
        Route(method: .GET, path: "/api/users/family", status: 200),
        Route(method: .PATCH, path: "/api/users/family", json: #"{"max_connections":2}"#, status: 200),
        Route(method: .GET, path: "/api/categories?kind=movie", status: 200),
        Route(method: .GET, path: "/api/categories/\(action)", status: 200),
        Route(method: .PATCH, path: "/api/categories/\(action)/accounts/alpha", json: #"{"enabled":true}"#, status: 200),
        Route(method: .GET, path: "/api/vod/movies", status: 200),
        Route(method: .GET, path: "/api/vod/movies/10001", status: 200),
        Route(method: .GET, path: "/api/vod/series", status: 200),
        Route(method: .GET, path: "/api/vod/series/501", status: 200),
        Route(method: .GET, path: "/api/vod/movies/10001/stream", status: 200),
        Route(method: .GET, path: "/api/vod/episodes/11001/stream", status: 200),
        Route(method: .GET, path: "/api/connections", status: 200),
        Route(method: .GET, path: "/api/events?seconds=0", status: 200),
        Route(method: .GET, path: "/api/openapi.json", status: 200),
        Route(method: .POST, path: "/api/vod/prune", json: #"{"stale_for_seconds":604800}"#, status: 200),
        Route(method: .GET, path: "/api/sync/jobs", status: 200),
        Route(method: .GET, path: "/api/sync/jobs/1", status: 404),
        Route(method: .POST, path: "/api/sync/jobs/1/cancel", status: 404),
        // Deletions last: they remove what the routes above use.
        Route(method: .DELETE, path: "/api/users/family", status: 204),
        Route(method: .DELETE, path: "/api/accounts/beta", status: 204),
        Route(method: .GET, path: "/api/live/channels", status: 200),
        Route(method: .GET, path: "/api/live/channels/3001", status: 200),
        // Last: a running job would refuse the deletions with 409.
        Route(method: .POST, path: "/api/sync", json: #"{"account":"alpha","episodes":false}"#, status: 202),
    ] }

    /// The list above is every operation of the OpenAPI document, so "every route" is checked, not some.
    @Test func theRouteListIsEveryDocumentedOperation() {
        let contract = OpenAPIContract.shared
        let listed = Set(Self.routes(action: 1).compactMap { route in
            contract.template(for: route.path).map { OpenAPIContract.Operation(method: route.method.rawValue, path: $0) }
        })
        #expect(listed == contract.operations, "missing: \(contract.operations.subtracting(listed).sorted())")
    }

    @Test func everyRouteNeedsTheToken() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let routes = Self.routes(action: try await env.categoryID(.movie, "Action"))
            let before = try await env.count("SELECT (SELECT COUNT(*) FROM account) + (SELECT COUNT(*) FROM user) + (SELECT COUNT(*) FROM movie_relation)")
            for route in routes {
                for token in [nil, "wrong", "Bearer"] as [String?] {
                    let reply = try await env.call(route.path, route.method, json: route.json, token: token)
                    expectAPIError(reply, 401, code: "unauthorized")
                }
                // XC client credentials never open the admin API.
                let basic = Data("\(TestEnvironment.userName):\(TestEnvironment.userPassword)".utf8).base64EncodedString()
                let xc = try await env.request(route.path, method: route.method, headers: [("Authorization", "Basic \(basic)")], body: route.json)
                expectAPIError(xc, 401, code: "unauthorized")
            }
            let after = try await env.count("SELECT (SELECT COUNT(*) FROM account) + (SELECT COUNT(*) FROM user) + (SELECT COUNT(*) FROM movie_relation)")
            #expect(before == after, "refused calls wrote nothing")

            for route in routes {
                let reply = try await env.call(route.path, route.method, json: route.json)
                #expect(reply.status == route.status, "\(route): \(reply.text)")
                if route.path.hasPrefix("/api/events") {
                    #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true, "\(route)")
                } else if route.status != 204 {
                    #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true, "\(route)")
                    #expect((try? reply.json()) != nil, "\(route) answers JSON")
                }
            }
        }
    }

    @Test func noConfiguredTokenMeansNoAdminAPI() async throws {
        try await TestEnvironment.with(sync: false) { env in
            for route in Self.routes(action: 1).prefix(3) {
                expectAPIError(try await env.call(route.path, route.method, json: route.json, token: ""), 401, code: "unauthorized")
                expectAPIError(try await env.call(route.path, route.method, json: route.json, token: nil), 401, code: "unauthorized")
            }
        }
    }
}
