import FixtureProvider
import Foundation
import GRDB
import NIOHTTP1
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `/api/accounts`: listing, creating, editing, deleting and testing provider accounts over real HTTP.
@Suite struct AdminAccountsTests {
    static let alphaPassword = "a+b&c/d e"
    static let betaPassword = "beta-pass"

    @Test func listAndReadMaskPasswords() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let reply = try await env.call("/api/accounts")
            #expect(reply.status == 200)
            #expect(!reply.text.contains(Self.betaPassword) && !reply.text.contains("a+b") && !reply.text.contains("a%2Bb"))
            let accounts = try reply.json()["accounts"].items
            #expect(accounts.map { $0["name"].string } == ["alpha", "beta"], "admission order: highest priority first")
            let alpha = accounts[0]
            #expect(alpha["password"].string == "****")
            #expect(alpha["username"].string == "alpha")
            #expect(alpha["url"].string == env.provider.baseURL)
            #expect(alpha["max_connections"].int == 1)
            #expect(alpha["priority"].int == 10)
            #expect(alpha["enabled"] == .bool(true))
            #expect(alpha["user_agent"].isNull)
            #expect(alpha["load"].int == 0)
            #expect(alpha["catalog"]["movies"].int == 16, "fixtures/README.md: alpha has 16 movie relations")
            #expect(alpha["catalog"]["series"].int == 3)
            #expect(accounts[1]["catalog"]["movies"].int == 13)

            let id = try #require(alpha["id"].int)
            let byID = try await env.callJSON("/api/accounts/\(id)")["account"]
            #expect(byID == alpha)
            #expect(try await env.callJSON("/api/accounts/alpha")["account"] == alpha, "by name too")
        }
    }

    @Test func createReadUpdate() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            let created = try await env.call("/api/accounts", .POST, json: """
                {"name": "gamma", "url": "https://panel.example:8443/sub/player_api.php", "username": "g",
                 "password": "s3cret+&", "max_connections": 3, "priority": 7, "user_agent": "VLC/3.0"}
                """)
            #expect(created.status == 201, "\(created.text)")
            #expect(!created.text.contains("s3cret"))
            let gamma = try created.json()["account"]
            let id = try #require(gamma["id"].int)
            #expect(created.headers.first(name: "Location") == "/api/accounts/\(id)")
            #expect(gamma["url"].string == "https://panel.example:8443/sub", "the panel URL is normalized as the CLI does")
            #expect(gamma["password"].string == "****")
            #expect(gamma["max_connections"].int == 3 && gamma["priority"].int == 7 && gamma["enabled"] == .bool(true))
            #expect(gamma["user_agent"].string == "VLC/3.0")
            let stored = try #require(try await env.store.account(id: Int64(id)))
            #expect(stored.password == "s3cret+&", "the real password is stored, only the answer masks it")

            // Defaults: one connection, priority 0, enabled.
            let minimal = try await env.callJSON("/api/accounts", .POST, json: #"{"name":"delta","url":"http://h","username":"u","password":"p"}"#, expect: 201)["account"]
            #expect(minimal["max_connections"].int == 1 && minimal["priority"].int == 0 && minimal["enabled"] == .bool(true))

            // A partial update changes only what it names.
            let patched = try await env.callJSON("/api/accounts/\(id)", .PATCH, json: #"{"max_connections": 5, "enabled": false}"#)["account"]
            #expect(patched["max_connections"].int == 5 && patched["enabled"] == .bool(false))
            #expect(patched["name"] == gamma["name"] && patched["url"] == gamma["url"] && patched["priority"] == gamma["priority"])
            #expect(patched["user_agent"].string == "VLC/3.0")
            #expect(try await env.store.account(id: Int64(id))?.password == "s3cret+&")

            let renamed = try await env.callJSON("/api/accounts/gamma", .PATCH, json: """
                {"name": "gamma2", "url": "http://other.example", "username": "g2", "password": "new", "user_agent": null, "priority": -1}
                """)["account"]
            #expect(renamed["name"].string == "gamma2" && renamed["url"].string == "http://other.example")
            #expect(renamed["username"].string == "g2" && renamed["user_agent"].isNull && renamed["priority"].int == -1)
            let saved = try #require(try await env.store.account(id: Int64(id)))
            #expect(saved.password == "new" && saved.userAgent == nil && saved.maxConnections == 5)
            #expect(try await env.callJSON("/api/accounts")["accounts"].items.count == 4)
        }
    }

    @Test func invalidInputNamesTheFieldAndWritesNothing() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            let valid: [String: String] = ["name": #""gamma""#, "url": #""http://h.example""#, "username": #""u""#, "password": #""p""#]
            func body(_ changes: [String: String?]) -> String {
                var fields = valid
                for (key, value) in changes { fields[key] = value }
                return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
            }
            let cases: [(String, String)] = [
                (body(["url": #""ftp://h.example""#]), "url"),
                (body(["url": #""not a url""#]), "url"),
                (body(["url": #""http://""#]), "url"),
                (body(["max_connections": "0"]), "max_connections"),
                (body(["max_connections": "-3"]), "max_connections"),
                (body(["max_connections": #""two""#]), "max_connections"),
                (body(["name": #""  ""#]), "name"),
                (body(["name": nil]), "name"),
                (body(["username": #""""#]), "username"),
                (body(["url": nil]), "url"),
                (body(["password": nil]), "password"),
                (body(["password": #""****""#]), "password"),
                (body(["priority": #""high""#]), "priority"),
                (body(["enabled": #""yes""#]), "enabled"),
                (body(["max_conections": "2"]), "max_conections"),
            ]
            for (json, field) in cases {
                expectAPIError(try await env.call("/api/accounts", .POST, json: json), 400, code: "invalid", field: field)
            }
            expectAPIError(try await env.call("/api/accounts", .POST, json: "{not json"), 400, code: "invalid")
            expectAPIError(try await env.call("/api/accounts", .POST), 400, code: "invalid")
            #expect(try await env.store.accounts().map(\.name) == ["alpha", "beta"], "nothing was written")

            // The same checks on PATCH, and the account stays as it was.
            let before = try await env.store.account(named: "alpha")
            for (json, field) in [(#"{"url": "file:///etc"}"#, "url"), (#"{"max_connections": 0}"#, "max_connections"),
                                  (#"{"name": ""}"#, "name"), (#"{"name": null}"#, "name"), (#"{"priority": null}"#, "priority"),
                                  (#"{"password": "****"}"#, "password"), (#"{"id": 9}"#, "id")] {
                expectAPIError(try await env.call("/api/accounts/alpha", .PATCH, json: json), 400, code: "invalid", field: field)
            }
            #expect(try await env.store.account(named: "alpha") == before)
        }
    }

    @Test func duplicateNamesAre409() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            expectAPIError(try await env.call("/api/accounts", .POST, json: #"{"name":"beta","url":"http://h","username":"u","password":"p"}"#),
                           409, code: "conflict", field: "name")
            expectAPIError(try await env.call("/api/accounts/alpha", .PATCH, json: #"{"name":"beta","priority":99}"#),
                           409, code: "conflict", field: "name")
            #expect(try await env.store.accounts().map(\.name) == ["alpha", "beta"])
            #expect(try await env.store.account(named: "alpha")?.priority == 10, "nothing of the refused PATCH was written")
            // Renaming an account to its own name is no conflict.
            #expect(try await env.call("/api/accounts/alpha", .PATCH, json: #"{"name":"alpha"}"#).status == 200)
        }
    }

    @Test func unknownAccountsAre404() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            for path in ["/api/accounts/999", "/api/accounts/nosuch"] {
                expectAPIError(try await env.call(path), 404, code: "not_found")
                expectAPIError(try await env.call(path, .PATCH, json: #"{"priority": 1}"#), 404, code: "not_found")
                expectAPIError(try await env.call(path, .DELETE), 404, code: "not_found")
                expectAPIError(try await env.call(path + "/test", .POST), 404, code: "not_found")
            }
        }
    }

    @Test func raisingBetaAboveAlphaServesBetasCopyUnderTheSamePublicID() async throws {
        try await TestEnvironment.withAdminAPI { env in
            func inception() async throws -> ProviderValue { try await env.api("action=get_vod_info&vod_id=10002")["movie_data"] }
            let before = try await inception()
            #expect(before["stream_id"].int == 10002)
            #expect(before["container_extension"].string == "mp4", "alpha's copy")
            #expect(before["name"].string == "Inception")

            let beta = try await env.callJSON("/api/accounts/beta", .PATCH, json: #"{"priority": 20}"#)["account"]
            #expect(beta["priority"].int == 20)
            let after = try await inception()
            #expect(after["stream_id"].int == 10002, "the public id stays")
            #expect(after["container_extension"].string == "mkv", "beta's copy")
            #expect(after["name"].string == "Inception (2010)")
            let list = try await env.api("action=get_vod_streams")
            #expect(list.items.count == 24)
            #expect(list.items.first { $0["stream_id"].int == 10002 }?["name"].string == "Inception (2010)")
            #expect(try await env.callJSON("/api/accounts")["accounts"].items.map { $0["name"].string } == ["beta", "alpha"])
            let detail = try await env.callJSON("/api/vod/movies/10002")["movie"]
            #expect(detail["account"]["name"].string == "beta")
            #expect(detail["relations"].items.map { $0["account"]["name"].string } == ["beta", "alpha"])
            #expect(detail["relations"].items.map { $0["served"] } == [.bool(true), .bool(false)])

            // Disabling beta hands every shared title back to alpha at once.
            _ = try await env.callJSON("/api/accounts/beta", .PATCH, json: #"{"enabled": false}"#)
            #expect(try await inception()["container_extension"].string == "mp4")
            #expect(try await env.api("action=get_vod_streams").items.count == 16, "beta-only entries are not served")
        }
    }

    @Test func deletingBetaLeavesTheCatalogConsistent() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let beta = try #require(try await env.store.account(named: "beta"))
            let alpha = try #require(try await env.store.account(named: "alpha"))
            #expect(try await env.count("SELECT COUNT(*) FROM movie") == 24)
            let reply = try await env.call("/api/accounts/beta", .DELETE)
            #expect(reply.status == 204)
            expectAPIError(try await env.call("/api/accounts/beta"), 404)
            #expect(try await env.callJSON("/api/accounts")["accounts"].items.map { $0["name"].string } == ["alpha"])

            // fixtures/README.md: alpha alone holds 16 entries; beta-only entries are gone.
            let streams = try await env.api("action=get_vod_streams")
            #expect(streams.streamIDs == [10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10010, 10011, 10012, 10013,
                                          10014, 10015, 10016, 10017])
            #expect(try await env.count("SELECT COUNT(*) FROM movie") == 16)
            #expect(try await env.count("SELECT COUNT(*) FROM movie_relation") == 16)
            #expect(try await env.callJSON("/api/vod/movies")["total"].int == 16)
            #expect(try await env.callJSON("/api/vod/movies?all=true")["total"].int == 16)
            // Shared entries keep alpha's relation (and their public ids); Alien: Covenant now has one relation.
            let matrix = try await env.callJSON("/api/vod/movies/10014")["movie"]
            #expect(matrix["relations"].items.map { $0["account"]["name"].string } == ["alpha"])
            #expect(matrix["served"] == .bool(true))
            expectAPIError(try await env.call("/api/vod/movies/20008"), 404)

            // Series: The Office (beta only) and Breaking Bad's S2E3 (beta only) are gone.
            #expect(try await env.api("action=get_series").items.compactMap { $0["series_id"].int }.sorted() == [501, 502, 503])
            #expect(try await env.count("SELECT COUNT(*) FROM episode") == 15)
            #expect(try await env.count("SELECT COUNT(*) FROM episode_relation") == 15)
            let breakingBad = try await env.callJSON("/api/vod/series/501")["series"]
            #expect(breakingBad["seasons"].items.flatMap { $0["episodes"].items }.count == 5)

            // No orphan or dangling rows.
            for sql in [
                "SELECT COUNT(*) FROM movie_relation WHERE account_id = \(beta.id!)",
                "SELECT COUNT(*) FROM series_relation WHERE account_id = \(beta.id!)",
                "SELECT COUNT(*) FROM episode_relation WHERE account_id = \(beta.id!)",
                "SELECT COUNT(*) FROM account_category WHERE account_id = \(beta.id!)",
                "SELECT COUNT(*) FROM movie m WHERE NOT EXISTS (SELECT 1 FROM movie_relation r WHERE r.movie_id = m.id)",
                "SELECT COUNT(*) FROM series s WHERE NOT EXISTS (SELECT 1 FROM series_relation r WHERE r.series_id = s.id)",
                "SELECT COUNT(*) FROM episode e WHERE NOT EXISTS (SELECT 1 FROM episode_relation r WHERE r.episode_id = e.id)",
                "SELECT COUNT(*) FROM episode e WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.id = e.series_id)",
                "SELECT COUNT(*) FROM episode_relation r WHERE NOT EXISTS (SELECT 1 FROM series_relation s WHERE s.id = r.series_relation_id)",
                "SELECT COUNT(*) FROM category c WHERE NOT EXISTS (SELECT 1 FROM account_category ac WHERE ac.category_id = c.id)",
                "SELECT COUNT(*) FROM movie m WHERE m.preferred_relation_id IS NULL OR NOT EXISTS (SELECT 1 FROM movie_relation r WHERE r.id = m.preferred_relation_id AND r.account_id = \(alpha.id!))",
                "SELECT COUNT(*) FROM episode e WHERE e.preferred_relation_id IS NULL OR NOT EXISTS (SELECT 1 FROM episode_relation r WHERE r.id = e.preferred_relation_id)",
            ] {
                #expect(try await env.count(sql) == 0, "\(sql)")
            }
            // Drama (movies) and Comedy (series) were beta's only; alpha's categories stay.
            let categories = try await env.callJSON("/api/categories?kind=movie")["categories"].items.compactMap { $0["name"].string }
            #expect(categories == ["Action", "Comedy", "Documentaries"])
            #expect(try await env.api("action=get_vod_categories").items.count == 2, "Action and Comedy hold served titles")

            // The stream of a formerly shared title plays from alpha.
            #expect(try await env.request(env.moviePath(10001), headers: [("Range", "bytes=0-9")]).status == 206)
            #expect(env.provider.stats(for: "beta").streamRequests.isEmpty)
        }
    }

    @Test func deletingAnAccountKeepsCategoriesAUsersAllowListNames() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let drama = try await env.categoryID(.movie, "Drama")
            _ = try await env.callJSON("/api/users", .POST, json: #"{"username":"kid","password":"kid","allowed_categories":[\#(drama)]}"#, expect: 201)
            #expect(try await env.xc("action=get_vod_streams", username: "kid", password: "kid").items.count == 8)
            #expect(try await env.call("/api/accounts/beta", .DELETE).status == 204)
            // Drama stays a (now empty) category: dropping it would silently lift kid's allow-list.
            #expect(try await env.store.allowedCategories(userID: try #require(try await env.store.users().last?.id)) == [drama])
            #expect(try await env.xc("action=get_vod_streams", username: "kid", password: "kid") == .array([]))
            #expect(try await env.callJSON("/api/categories/\(drama)")["category"]["accounts"] == .array([]))
        }
    }

    @Test func testCallsTheProvidersAuth() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            let alpha = try await env.callJSON("/api/accounts/alpha/test", .POST)
            #expect(alpha["account"]["name"].string == "alpha")
            #expect(alpha["status"].string == "Active")
            #expect(alpha["exp_date"] == .number(1_798_761_600))
            #expect(alpha["max_connections"] == .number(1))
            #expect(alpha["active_cons"] == .number(0))
            #expect(try await env.callJSON("/api/accounts/beta/test", .POST)["max_connections"] == .number(2))

            // Wrong credentials: the provider's refusal, as a 502 in the API's error shape, without the password.
            _ = try await env.callJSON("/api/accounts/alpha", .PATCH, json: #"{"password": "wrong+pass&x"}"#)
            let rejected = try await env.call("/api/accounts/alpha/test", .POST)
            expectAPIError(rejected, 502, code: "provider_error")
            #expect(rejected.text.contains("rejected"))
            #expect(!rejected.text.contains("wrong+pass") && !rejected.text.contains("wrong%2Bpass"))

            // Panels answering errors: a wrong path (404), a failing panel (503).
            _ = try await env.callJSON("/api/accounts", .POST, json: #"{"name":"lost","url":"\#(env.provider.baseURL)/no/such/panel","username":"u","password":"p"}"#, expect: 201)
            let lost = try await env.call("/api/accounts/lost/test", .POST)
            expectAPIError(lost, 502, code: "provider_error")
            #expect(lost.text.contains("404"))
            env.provider.setFaults(FixtureFaults(apiStatus: 503), for: "beta")
            let failing = try await env.call("/api/accounts/beta/test", .POST)
            expectAPIError(failing, 502, code: "provider_error")
            #expect(failing.text.contains("503"))
        }
    }
}
