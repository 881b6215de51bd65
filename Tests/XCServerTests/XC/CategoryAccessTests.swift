import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// A user's category allow-list and an account's disabled categories, as the XC API applies them.
@Suite struct CategoryAccessTests {
    func names(_ list: ProviderValue) -> Set<String> {
        Set((list.array ?? []).compactMap { $0.object?["name"]?.text }.map { TitleIdentity.normalizedName($0).key })
    }

    @Test func aUsersAllowListLimitsEverythingItSees() async throws {
        try await TestEnvironment.with { env in
            let guest = try await env.store.addUser(User(username: "kid", password: "kid", maxConnections: 1))
            let comedy = try #require(try await env.store.categoryID(kind: .movie, name: "Comedy"))
            try await env.store.setAllowedCategories(userID: guest.id!, [comedy])
            func api(_ parameters: String) async throws -> ProviderValue {
                try await env.request(env.apiPath(parameters, username: "kid", password: "kid")).json()
            }
            let categories = try #require(try await api("action=get_vod_categories").array)
            #expect(categories.compactMap { $0.object?["category_name"]?.text } == ["Comedy"])
            #expect(try await api("action=get_series_categories") == .array([]))
            #expect(names(try await api("action=get_vod_streams")) == ["the grand budapest hotel", "superbad", "groundhog day", "hot fuzz"])
            #expect(try await api("action=get_series") == .array([]))
            #expect(try await api("action=get_vod_info&vod_id=10001") == .object(["info": .object([:]), "movie_data": .object([:])]))
            #expect(try await api("action=get_series_info&series_id=501").object?["episodes"] == .object([:]))
            #expect(try await env.request("/movie/kid/kid/10001.mkv").status == 404)
            #expect(try await env.request("/series/kid/kid/11001.mkv").status == 404)
            #expect(try await env.request("/movie/kid/kid/10010.mkv", headers: [("Range", "bytes=0-9")]).status == 206)
            let playlist = try await env.request("/get.php?username=kid&password=kid&type=m3u_plus")
            #expect(playlist.text.components(separatedBy: "/movie/kid/kid/").count - 1 == 4)
            #expect(!playlist.text.contains("/series/"))
            // Everyone else still sees everything.
            #expect(try #require(try await env.api("action=get_vod_streams").array).count == 24)
        }
    }

    @Test func aDisabledCategoryHidesItsTitlesAndIsSkippedAtTheNextSync() async throws {
        try await TestEnvironment.with { env in
            let comedy = try #require(try await env.store.categoryID(kind: .movie, name: "Comedy"))
            let alpha = try #require(try await env.store.account(named: "alpha"))
            #expect(try await env.store.setCategoryEnabled(accountID: alpha.id!, categoryID: comedy, enabled: false))
            let visible = names(try await env.api("action=get_vod_streams"))
            #expect(visible.count == 15, "distinct names: 18, less the three comedies")
            #expect(visible.isDisjoint(with: ["the grand budapest hotel", "superbad", "groundhog day"]))
            #expect(visible.contains("hot fuzz"), "Hot Fuzz's own category (Action) is still enabled")
            let categories = try #require(try await env.api("action=get_vod_categories").array)
            let categoryNames = categories.compactMap { $0.object?["category_name"]?.text }
            #expect(!categoryNames.contains("Comedy"), "Hot Fuzz is served through Action; alpha's Comedy contributes nothing")
            let path = "/movie/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))"
            #expect(try await env.request("\(path)/10011.mkv").status == 404, "not served means not streamable")

            let report = try await env.services.sync.run()
            let movies = try #require(report.accounts.first { $0.account == "alpha" }?.kinds["movies"])
            #expect(movies.skipReasons["category disabled"] == 3)
            #expect(movies.stale == 0, "skipped, not dropped")
            #expect(names(try await env.api("action=get_vod_streams")).count == 15)

            try await env.store.setCategoryEnabled(accountID: alpha.id!, categoryID: comedy, enabled: true)
            #expect(names(try await env.api("action=get_vod_streams")).count == 18)
        }
    }
}
