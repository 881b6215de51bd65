import FixtureProvider
import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `get_live_categories` / `get_live_streams` over real HTTP, after a real sync of the two fixture
/// accounts (fixtures/README.md, "Live"): shapes, merge rules, ids, order, switches and allow-lists.
@Suite struct LiveCatalogTests {
    static let liveStream: [String: JSONType] = [
        "num": .number, "name": .string, "stream_type": .string, "stream_id": .number, "stream_icon": .string,
        "epg_channel_id": .string, "added": .integer, "is_adult": .integer, "category_id": .integer, "category_ids": .array,
        "custom_sid": .string, "tv_archive": .number, "direct_source": .string, "tv_archive_duration": .number,
    ]

    /// alpha's nums within its categories (UK | General, Sports, Night), beta's channels after alpha's in
    /// a shared category, then the category only beta lists (Germany).
    static let servedOrder = [
        "UK: BBC One HD", "UK: ITV 1", "UK: BBC One FHD", "UK: Channel 4", "Sky Sports Main Event", "Sky Sports Main Event",
        "Eurosport 1", "Night Owl TV", "DE: Das Erste",
    ]

    @Test func everyFieldOfTheSpecNoNullProviderOrderAndMergedChannels() async throws {
        try await TestEnvironment.with { env in
            let list = try await env.api("action=get_live_streams")
            #expect(nullPaths(in: list).isEmpty, "\(nullPaths(in: list))")
            for item in list.items {
                expectShape(item, Self.liveStream, "live stream \(item["name"].string ?? "?")")
                #expect(Set(item.object?.keys.map { $0 } ?? []) == Set(Self.liveStream.keys))
                #expect(item["stream_type"].string == "live")
            }
            #expect(list.items.map { $0["name"].string ?? "?" } == Self.servedOrder)
            #expect(list.items.map { $0["num"].int ?? 0 } == Array(1...Self.servedOrder.count))
            let ids = list.items.compactMap { $0["stream_id"].int }
            #expect(Set(ids).count == ids.count, "collision-free")
            // BBC One HD: alpha 3001 (bbc1.uk) and beta 7001 (BBC1.uk) are one channel; alpha's id is shown.
            #expect(ids[0] == 3001)
            #expect(!ids.contains(7001), "beta's copy of BBC One HD merged into alpha's")
            #expect(ids[1] == 3005, "ITV 1 merged by name (no epg id on either side)")
            #expect(!ids.contains(7002))
            #expect(ids[2] == 3002, "BBC One FHD is another variant: its own entry")
            #expect(Array(ids[4...5]) == [3011, 3010], "one account's two streams of a channel stay two entries, in num order")
            #expect(ids[8] > 2_000_000_000, "beta's Das Erste 3005 collides with alpha's ITV 1: a reserved id")
            let store = env.store
            let itv = try await store.channelCandidates(publicID: 3005, scope: .everything)
            #expect(itv.map(\.candidate.accountName) == ["alpha", "beta"])
            #expect(itv.map(\.tvArchive) == [false, true])
            let first = list.items[1]
            #expect(first["tv_archive"].int == 1 && first["tv_archive_duration"].int == 4, "catch-up from beta's copy")
            #expect(first["epg_channel_id"].string == "")
            #expect(list.items[0]["tv_archive_duration"].int == 7)

            let categories = try await env.api("action=get_live_categories")
            for category in categories.items { expectShape(category, Shapes.category, "live category") }
            #expect(categories.items.compactMap { $0["category_name"].string } == ["UK | General", "Sports", "Night", "Germany"])
            let sports = try #require(categories.items.first { $0["category_name"].string == "Sports" }?["category_id"].string)
            #expect(try await env.api("action=get_live_streams&category_id=\(sports)").items.compactMap { $0["stream_id"].int }
                == [3011, 3010, 7004])

            let report = try await env.services.sync.run()
            #expect(report.accounts.first { $0.account == "alpha" }?.kinds["live"]?.skipReasons["missing stream_id"] == 1)
        }
    }

    @Test func idsAndOrderAreStableAcrossAResync() async throws {
        try await TestEnvironment.with { env in
            let before = try await env.api("action=get_live_streams")
            let report = try await env.services.sync.run()
            #expect(!report.failed, "\(report.text)")
            #expect(report.accounts.first?.kinds["live"]?.unchanged == 7)
            #expect(try await env.api("action=get_live_streams") == before)
        }
    }

    @Test func anEmptyLiveListIsRefusedByTheStaleGuard() async throws {
        try await TestEnvironment.with { env in
            try env.provider.editList("beta", file: "get_live_streams.json") { _ in [] }
            let report = try await env.services.sync.run(options: SyncOptions(episodes: false))
            #expect(report.accounts.first { $0.account == "beta" }?.error?.contains("live") == true, "\(report.text)")
            #expect(try await env.liveByName()["Eurosport 1"] != nil, "nothing was staled")
        }
    }

    @Test func categorySwitchesAndAllowListsApplyToChannels() async throws {
        try await TestEnvironment.with { env in
            let sports = try #require(try await env.store.categoryID(kind: .live, name: "Sports"))
            let alpha = try #require(try await env.store.account(named: "alpha"))
            #expect(try await env.store.setCategoryEnabled(accountID: alpha.id!, categoryID: sports, enabled: false))
            let names = try await env.api("action=get_live_streams").items.compactMap { $0["name"].string }
            #expect(!names.contains("Sky Sports Main Event"))
            #expect(names.contains("Eurosport 1"), "beta's Sports is still on")

            let kid = try await env.store.addUser(User(username: "kid", password: "kid", maxConnections: 1))
            let germany = try #require(try await env.store.categoryID(kind: .live, name: "Germany"))
            try await env.store.setAllowedCategories(userID: kid.id!, [germany])
            let kidList = try await env.request(env.apiPath("action=get_live_streams", username: "kid", password: "kid")).json()
            #expect(kidList.items.compactMap { $0["name"].string } == ["DE: Das Erste"])
            let kidCategories = try await env.request(env.apiPath("action=get_live_categories", username: "kid", password: "kid")).json()
            #expect(kidCategories.items.compactMap { $0["category_name"].string } == ["Germany"])
            let playlist = try await env.request("/get.php?username=kid&password=kid&type=m3u_plus")
            #expect(playlist.text.components(separatedBy: "/live/kid/kid/").count - 1 == 1)
        }
    }

    @Test func aLoginThatHidesAdultChannelsDoesNotSeeThemAnywhere() async throws {
        try await TestEnvironment.with { env in
            var kid = User(username: "kid", password: "kid", maxConnections: 1)
            kid.hideAdult = true
            _ = try await env.store.addUser(kid)
            let everyone = try await env.api("action=get_live_streams").items.compactMap { $0["name"].string }
            #expect(everyone.contains("Night Owl TV"), "the fixture's adult channel is listed for others")
            let kids = try await env.request(env.apiPath("action=get_live_streams", username: "kid", password: "kid"))
                .json().items.compactMap { $0["name"].string }
            #expect(kids == everyone.filter { $0 != "Night Owl TV" })
            let categories = try await env.request(env.apiPath("action=get_live_categories", username: "kid", password: "kid")).json()
            #expect(!categories.items.compactMap { $0["category_name"].string }.contains("Night"), "a category of adult channels only")
            let playlist = try await env.request("/get.php?username=kid&password=kid&type=m3u_plus")
            #expect(!playlist.text.contains("Night Owl TV"))
            let night = try #require(try await env.api("action=get_live_streams").items.first { $0["name"].string == "Night Owl TV" })
            let scope = try await env.store.catalogScope(userID: try #require(try await env.store.user(named: "kid")).id!)
            #expect(try await env.store.channelCandidates(publicID: Int64(try #require(night["stream_id"].int)), scope: scope).isEmpty,
                    "its stream does not exist for the login")
        }
    }

    @Test func thePlaylistListsChannelsFirstWithGuideAndCatchUpAttributes() async throws {
        try await TestEnvironment.with { env in
            let reply = try await env.request("/get.php?username=\(ProviderClient.percentEncode(TestEnvironment.userName))&password=\(ProviderClient.percentEncode(TestEnvironment.userPassword))&type=m3u_plus")
            #expect(reply.status == 200)
            let lines = reply.text.split(separator: "\n").map(String.init)
            let guide = "\(env.baseURL)/xmltv.php?username=\(ProviderClient.percentEncode(TestEnvironment.userName))&password=\(ProviderClient.percentEncode(TestEnvironment.userPassword))"
            #expect(lines.first == "#EXTM3U url-tvg=\"\(guide)\" x-tvg-url=\"\(guide)\"")
            #expect(lines[1] == #"#EXTINF:-1 tvg-id="bbc1.uk" tvg-name="UK: BBC One HD" tvg-logo="http://img.example/bbc1.png" group-title="UK | General" catchup="xc" catchup-days="7",UK: BBC One HD"#)
            #expect(lines[2] == "\(env.baseURL)/live/\(env.credentialsPath)/3001.ts")
            #expect(lines[7].contains(#"tvg-id="" tvg-name="UK: Channel 4""#) && !lines[7].contains("catchup"))
            let live = lines.filter { $0.contains("/live/") }
            #expect(live.count == Self.servedOrder.count)
            let firstMovie = try #require(lines.firstIndex { $0.contains("/movie/") })
            #expect(try #require(lines.lastIndex { $0.contains("/live/") }) < firstMovie, "channels first")

            let hls = try await env.request("/get.php?username=\(ProviderClient.percentEncode(TestEnvironment.userName))&password=\(ProviderClient.percentEncode(TestEnvironment.userPassword))&type=m3u_plus&output=m3u8")
            #expect(hls.text.contains("/live/\(env.credentialsPath)/3001.m3u8\n"))
        }
    }
}
