import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `/api/categories`: merged categories with each account's part, and disabling one per account.
@Suite struct AdminCategoriesTests {
    /// `name → [account: (provider id, enabled, titles)]` and served titles, from a categories answer.
    struct Summary: Equatable, CustomStringConvertible {
        var titles: Int
        var accounts: [String]
        var description: String { "\(titles) \(accounts)" }
    }

    func summaries(_ answer: ProviderValue) -> [String: Summary] {
        var result: [String: Summary] = [:]
        for category in answer["categories"].items {
            result[category["name"].string ?? "?"] = Summary(
                titles: category["titles"].int ?? -1,
                accounts: category["accounts"].items.map {
                    "\($0["account_name"].string ?? "?") \($0["provider_category_id"].string ?? "?") \($0["enabled"] == .bool(true) ? "on" : "off") \($0["titles"].int ?? -1)"
                })
        }
        return result
    }

    @Test func listsMergedCategoriesWithEachAccountsPart() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let movies = try await env.callJSON("/api/categories?kind=movie")
            #expect(movies["categories"].items.compactMap { $0["name"].string } == ["Action", "Comedy", "Documentaries", "Drama"])
            #expect(movies["categories"].items.allSatisfy { $0["kind"].string == "movie" })
            // fixtures/README.md: titles per merged category (union over relations) and per account.
            #expect(summaries(movies) == [
                "Action": Summary(titles: 15, accounts: ["alpha 1 on 12", "beta 21 on 6"]),
                "Comedy": Summary(titles: 4, accounts: ["alpha 2 on 4"]),
                "Documentaries": Summary(titles: 0, accounts: ["alpha 3 on 0"]),
                "Drama": Summary(titles: 8, accounts: ["beta 22 on 8"]),
            ])
            let series = try await env.callJSON("/api/categories?kind=series")
            #expect(summaries(series) == [
                "Comedy": Summary(titles: 1, accounts: ["beta 202 on 1"]),
                "Drama": Summary(titles: 2, accounts: ["alpha 101 on 2", "beta 201 on 1"]),
                "Kids": Summary(titles: 0, accounts: ["alpha 103 on 0"]),
                "Sci-Fi": Summary(titles: 1, accounts: ["alpha 102 on 1"]),
            ])
            #expect(try await env.callJSON("/api/categories")["categories"].items.count == 12, "every kind (4 live) without ?kind")
            expectAPIError(try await env.call("/api/categories?kind=film"), 400, code: "invalid", field: "kind")

            let action = try await env.categoryID(.movie, "Action")
            let one = try await env.callJSON("/api/categories/\(action)")["category"]
            #expect(one == movies["categories"][0])
            expectAPIError(try await env.call("/api/categories/987654"), 404, code: "not_found")
            expectAPIError(try await env.call("/api/categories/abc"), 404, code: "not_found")
        }
    }

    @Test func disablingACategoryForAnAccountHidesItsTitlesFromTheXCAPI() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let comedy = try await env.categoryID(.movie, "Comedy")
            let answer = try await env.callJSON("/api/categories/\(comedy)/accounts/alpha", .PATCH, json: #"{"enabled": false}"#)
            #expect(summaries(.object(["categories": .array([answer["category"]])])) == [
                // Hot Fuzz stays served through its Action category, but alpha's Comedy contributes nothing.
                "Comedy": Summary(titles: 0, accounts: ["alpha 2 off 4"]),
            ])
            let streams = try await env.api("action=get_vod_streams")
            #expect(streams.items.count == 21)
            #expect(streams.streamIDs.isDisjoint(with: [10010, 10011, 10012]))
            #expect(try await env.request(env.moviePath(10011)).status == 404, "not served means not streamable")
            #expect(try await env.callJSON("/api/vod/movies")["total"].int == 21)
            let superbad = try await env.callJSON("/api/vod/movies/10011")["movie"]
            #expect(superbad["served"] == .bool(false))
            expectAPIError(try await env.call("/api/vod/movies/10011/stream"), 404)

            // By account id as well as by name; enabling brings them back at once.
            let alpha = try #require(try await env.store.account(named: "alpha")?.id)
            _ = try await env.callJSON("/api/categories/\(comedy)/accounts/\(alpha)", .PATCH, json: #"{"enabled": true}"#)
            #expect(try await env.api("action=get_vod_streams").items.count == 24)
        }
    }

    @Test func badCategoryPatchesAre404Or400() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let comedy = try await env.categoryID(.movie, "Comedy")
            let drama = try await env.categoryID(.movie, "Drama")
            let notCarried = try await env.call("/api/categories/\(comedy)/accounts/beta", .PATCH, json: #"{"enabled": false}"#)
            expectAPIError(notCarried, 404, code: "not_found")
            #expect(notCarried.text.contains("beta"))
            expectAPIError(try await env.call("/api/categories/\(drama)/accounts/nosuch", .PATCH, json: #"{"enabled": false}"#), 404)
            expectAPIError(try await env.call("/api/categories/987654/accounts/alpha", .PATCH, json: #"{"enabled": false}"#), 404)
            for (json, field) in [(#"{"enabled": "no"}"#, "enabled"), (#"{}"#, "enabled"), (#"{"enabled": false, "name": "x"}"#, "name")] {
                expectAPIError(try await env.call("/api/categories/\(comedy)/accounts/alpha", .PATCH, json: json), 400, code: "invalid", field: field)
            }
            #expect(try await env.count("SELECT COUNT(*) FROM account_category WHERE enabled = 0") == 0, "nothing was written")
            #expect(try await env.api("action=get_vod_streams").items.count == 24)
        }
    }
}
