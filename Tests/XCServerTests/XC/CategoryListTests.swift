import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// Category lists read counts the store keeps with what is served: they change at once with an admin
/// switch or a sync, and a category disabled for an account contributes nothing from that account.
@Suite struct CategoryListTests {
    func categoryNames(_ env: TestEnvironment, _ action: String) async throws -> [String] {
        try await env.api("action=\(action)").items.compactMap { $0["category_name"].string }
    }

    @Test func aCategoryDisabledForAnAccountContributesNothingFromThatAccount() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let action = try await env.categoryID(.movie, "Action")
            let comedy = try await env.categoryID(.movie, "Comedy")
            _ = try await env.callJSON("/api/categories/\(comedy)/accounts/alpha", .PATCH, json: #"{"enabled": false}"#)

            #expect(try await categoryNames(env, "get_vod_categories") == ["Action", "Drama"])
            #expect(try await env.api("action=get_vod_streams&category_id=\(comedy)").items.isEmpty, "not even Hot Fuzz")
            let hotFuzz = try #require(try await env.api("action=get_vod_streams").items.first { $0["stream_id"].int == 10013 },
                                       "Hot Fuzz is still served, through Action")
            #expect(hotFuzz["category_ids"] == .array([.number(Double(action))]))
            #expect(hotFuzz["category_id"].string == String(action))
            let info = try await env.api("action=get_vod_info&vod_id=10013")
            #expect(info["movie_data"]["category_ids"] == .array([.number(Double(action))]))
            #expect(try await env.callJSON("/api/vod/movies?category=\(comedy)")["total"].int == 0)
            #expect(try await env.callJSON("/api/categories/\(comedy)")["category"]["titles"].int == 0)

            // Enabled again: Comedy is back at once, Hot Fuzz in both.
            _ = try await env.callJSON("/api/categories/\(comedy)/accounts/alpha", .PATCH, json: #"{"enabled": true}"#)
            #expect(try await categoryNames(env, "get_vod_categories") == ["Action", "Comedy", "Drama"])
            #expect(try await env.api("action=get_vod_streams&category_id=\(comedy)").streamIDs == [10010, 10011, 10012, 10013])
            #expect(try await env.callJSON("/api/categories/\(comedy)")["category"]["titles"].int == 4)
        }
    }

    @Test func seriesCategoriesFollowTheSwitchToo() async throws {
        try await TestEnvironment.withAdminAPI { env in
            #expect(try await categoryNames(env, "get_series_categories") == ["Comedy", "Drama", "Sci-Fi"])
            let comedy = try await env.categoryID(.series, "Comedy")
            _ = try await env.callJSON("/api/categories/\(comedy)/accounts/beta", .PATCH, json: #"{"enabled": false}"#)
            #expect(try await categoryNames(env, "get_series_categories") == ["Drama", "Sci-Fi"])
            let admin = try await env.callJSON("/api/categories?kind=series")["categories"].items.first { $0["id"].int == Int(comedy) }
            #expect(admin?["titles"].int == 0)
            #expect(admin?["accounts"][0]["titles"].int == 1, "beta still holds The Office there")
        }
    }

    @Test func aSyncThatAddsOrRemovesTitlesChangesTheListsAtOnce() async throws {
        try await TestEnvironment.withAdminAPI { env in
            #expect(try await categoryNames(env, "get_vod_categories") == ["Action", "Comedy", "Drama"])
            // Alpha drops its four comedies and adds a documentary (Documentaries was empty).
            try env.provider.editList("alpha", file: "get_vod_streams.json") { items in
                let kept = items.filter { ![10010, 10011, 10012, 10013].contains($0["stream_id"].int) }
                return kept + [.object([
                    "num": .number(99), "name": .string("Planet Earth (2006)"), "stream_type": .string("movie"),
                    "stream_id": .number(10099), "stream_icon": .string(""), "rating": .string("9"), "added": .string("1700000000"),
                    "category_id": .string("3"), "container_extension": .string("mkv"), "tmdb": .string("1044"),
                ])]
            }
            let report = try await env.services.sync.run(options: SyncOptions(episodes: false))
            #expect(!report.failed, "\(report.text)")
            #expect(try await categoryNames(env, "get_vod_categories") == ["Action", "Documentaries", "Drama"])
            let documentaries = try await env.categoryID(.movie, "Documentaries")
            #expect(try await env.api("action=get_vod_streams&category_id=\(documentaries)").streamIDs == [10099])
            let admin = try await env.callJSON("/api/categories?kind=movie")["categories"].items
            let titles = Dictionary(uniqueKeysWithValues: admin.map { ($0["name"].string ?? "?", $0["titles"].int ?? -1) })
            #expect(titles == ["Action": 14, "Comedy": 0, "Documentaries": 1, "Drama": 8])
        }
    }
}
