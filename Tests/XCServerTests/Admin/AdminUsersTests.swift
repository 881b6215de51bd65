import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `/api/users`: XC logins, their limits, expiry and category allow-lists, as the XC API then applies them.
@Suite struct AdminUsersTests {
    func loginWorks(_ env: TestEnvironment, _ username: String, _ password: String) async throws -> Bool {
        try await env.xc("", username: username, password: password)["user_info"]["auth"].int == 1
    }

    @Test func listCreateReadUpdateDelete() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            let list = try await env.call("/api/users")
            #expect(list.status == 200)
            #expect(!list.text.contains("p@ss"), "the user's password is never returned")
            let family = try list.json()["users"][0]
            #expect(family["username"].string == TestEnvironment.userName)
            #expect(family["password"].string == "****")
            #expect(family["max_connections"].int == 2 && family["enabled"] == .bool(true) && family["active"] == .bool(true))
            #expect(family["expires_at"].isNull && family["allowed_categories"] == .array([]) && family["load"].int == 0)

            let created = try await env.call("/api/users", .POST, json: #"{"username":"kid","password":"k+d&1","max_connections":1,"expires_at":4102444800}"#)
            #expect(created.status == 201, "\(created.text)")
            let kid = try created.json()["user"]
            let id = try #require(kid["id"].int)
            #expect(created.headers.first(name: "Location") == "/api/users/\(id)")
            #expect(kid["password"].string == "****" && !created.text.contains("k+d"))
            #expect(kid["expires_at"] == .number(4_102_444_800))
            #expect(try await loginWorks(env, "kid", "k+d&1"))
            #expect(try await env.callJSON("/api/users/\(id)")["user"] == kid)
            #expect(try await env.callJSON("/api/users/kid")["user"] == kid)

            // Expiry in the past, then never.
            let expired = try await env.callJSON("/api/users/kid", .PATCH, json: #"{"expires_at": 1000}"#)["user"]
            #expect(expired["active"] == .bool(false) && expired["expires_at"] == .number(1000))
            #expect(try await !loginWorks(env, "kid", "k+d&1"))
            let never = try await env.callJSON("/api/users/kid", .PATCH, json: #"{"expires_at": null}"#)["user"]
            #expect(never["expires_at"].isNull && never["active"] == .bool(true))
            #expect(try await loginWorks(env, "kid", "k+d&1"))

            // Disabled, then a new password.
            _ = try await env.callJSON("/api/users/kid", .PATCH, json: #"{"enabled": false}"#)
            #expect(try await !loginWorks(env, "kid", "k+d&1"))
            let changed = try await env.callJSON("/api/users/kid", .PATCH, json: #"{"enabled": true, "password": "new", "max_connections": 3}"#)["user"]
            #expect(changed["max_connections"].int == 3 && changed["expires_at"].isNull, "fields left out keep their values")
            #expect(try await !loginWorks(env, "kid", "k+d&1"))
            #expect(try await loginWorks(env, "kid", "new"))

            #expect(try await env.call("/api/users/kid", .DELETE).status == 204)
            expectAPIError(try await env.call("/api/users/\(id)"), 404, code: "not_found")
            #expect(try await !loginWorks(env, "kid", "new"))
            #expect(try await env.callJSON("/api/users")["users"].items.count == 1)
        }
    }

    @Test func invalidInputNamesTheFieldAndWritesNothing() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let cases: [(String, String)] = [
                (#"{"password":"p"}"#, "username"),
                (#"{"username":"","password":"p"}"#, "username"),
                (#"{"username":"x"}"#, "password"),
                (#"{"username":"x","password":""}"#, "password"),
                (#"{"username":"x","password":"****"}"#, "password"),
                (#"{"username":"x","password":"p","max_connections":0}"#, "max_connections"),
                (#"{"username":"x","password":"p","expires_at":-5}"#, "expires_at"),
                (#"{"username":"x","password":"p","expires_at":"tomorrow"}"#, "expires_at"),
                (#"{"username":"x","password":"p","allowed_categories":[999999]}"#, "allowed_categories"),
                (#"{"username":"x","password":"p","allowed_categories":"1"}"#, "allowed_categories"),
                (#"{"username":"x","password":"p","allowed_categories":["Comedy"]}"#, "allowed_categories.0"),
                (#"{"username":"x","password":"p","maxconnections":2}"#, "maxconnections"),
            ]
            for (json, field) in cases {
                expectAPIError(try await env.call("/api/users", .POST, json: json), 400, code: "invalid", field: field)
            }
            #expect(try await env.store.users().count == 1, "nothing was written")
            #expect(try await env.count("SELECT COUNT(*) FROM user_category") == 0)

            let comedy = try await env.categoryID(.movie, "Comedy")
            _ = try await env.callJSON("/api/users/family", .PATCH, json: #"{"allowed_categories":[\#(comedy)]}"#)
            for (json, field) in [(#"{"allowed_categories":[\#(comedy), 424242]}"#, "allowed_categories"),
                                  (#"{"max_connections":0,"allowed_categories":[]}"#, "max_connections"),
                                  (#"{"password":null}"#, "password"), (#"{"enabled":null}"#, "enabled")] {
                expectAPIError(try await env.call("/api/users/family", .PATCH, json: json), 400, code: "invalid", field: field)
            }
            let family = try #require(try await env.store.users().first)
            #expect(family.maxConnections == 2)
            #expect(try await env.store.allowedCategories(userID: family.id!) == [comedy], "the refused PATCH changed nothing")
        }
    }

    @Test func duplicatesAre409AndUnknownUsers404() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            expectAPIError(try await env.call("/api/users", .POST, json: #"{"username":"\#(TestEnvironment.userName)","password":"p"}"#),
                           409, code: "conflict", field: "username")
            _ = try await env.callJSON("/api/users", .POST, json: #"{"username":"kid","password":"kid"}"#, expect: 201)
            expectAPIError(try await env.call("/api/users/kid", .PATCH, json: #"{"username":"\#(TestEnvironment.userName)","password":"x"}"#),
                           409, code: "conflict", field: "username")
            #expect(try await loginWorks(env, "kid", "kid"), "the refused PATCH changed nothing")
            for path in ["/api/users/999", "/api/users/nobody"] {
                expectAPIError(try await env.call(path), 404, code: "not_found")
                expectAPIError(try await env.call(path, .PATCH, json: #"{"enabled":false}"#), 404, code: "not_found")
                expectAPIError(try await env.call(path, .DELETE), 404, code: "not_found")
            }
        }
    }

    @Test func anAllowListSetThroughTheAPIIsEnforcedOnListsAndStreamPaths() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let comedy = try await env.categoryID(.movie, "Comedy")
            let sciFi = try await env.categoryID(.series, "Sci-Fi")
            let kid = try await env.callJSON("/api/users", .POST, json: #"{"username":"kid","password":"kid","allowed_categories":[\#(comedy)]}"#, expect: 201)["user"]
            #expect(kid["allowed_categories"] == .array([.number(Double(comedy))]))

            func xc(_ parameters: String) async throws -> ProviderValue { try await env.xc(parameters, username: "kid", password: "kid") }
            #expect(try await xc("action=get_vod_categories").items.compactMap { $0["category_name"].string } == ["Comedy"])
            #expect(try await xc("action=get_vod_streams").streamIDs == [10010, 10011, 10012, 10013])
            #expect(try await xc("action=get_series") == .array([]))
            #expect(try await env.request(env.moviePath(10001, username: "kid", password: "kid")).status == 404)
            #expect(try await env.request(env.seriesPath(11001, username: "kid", password: "kid")).status == 404)
            #expect(try await env.request(env.moviePath(10010, username: "kid", password: "kid"), headers: [("Range", "bytes=0-9")]).status == 206)
            // The admin stream endpoint agrees: outside the list is 404 for that user.
            expectAPIError(try await env.call("/api/vod/movies/10001/stream?user=kid"), 404)
            #expect(try await env.call("/api/vod/movies/10010/stream?user=kid").status == 200)

            // Widen it to a series category too.
            _ = try await env.callJSON("/api/users/kid", .PATCH, json: #"{"allowed_categories":[\#(comedy), \#(sciFi)]}"#)
            #expect(try await xc("action=get_series").items.compactMap { $0["series_id"].int } == [502])
            #expect(try await env.request(env.seriesPath(11102, username: "kid", password: "kid"), headers: [("Range", "bytes=0-9")]).status == 206)
            #expect(try await env.request(env.seriesPath(11001, username: "kid", password: "kid")).status == 404)

            // An empty list lifts the restriction.
            let lifted = try await env.callJSON("/api/users/kid", .PATCH, json: #"{"allowed_categories":[]}"#)["user"]
            #expect(lifted["allowed_categories"] == .array([]))
            #expect(try await xc("action=get_vod_streams").items.count == 24)
            #expect(try await env.request(env.moviePath(10001, username: "kid", password: "kid"), headers: [("Range", "bytes=0-9")]).status == 206)
            // Other users were never restricted.
            #expect(try await env.api("action=get_vod_streams").items.count == 24)
        }
    }
}
