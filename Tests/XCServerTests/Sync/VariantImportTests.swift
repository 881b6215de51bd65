import AsyncHTTPClient
import FixtureProvider
import Foundation
import GRDB
import Sync
import Testing
@testable import XCModels
@testable import XCServerKit

/// Variants (docs/variants.md): a real sync of the two fixture accounts, whose lists hold same-account
/// 4K and HD copies (Interstellar, Alien: Covenant), cross-account identical copies (Alien: Covenant
/// 2017, Inception), cross-account 4K against HD (Gladiator) and language copies (`|FR| Inception`,
/// `Inception (FR)`), then the XC API, the stream paths and the admin API over HTTP.
@Suite struct VariantImportTests {
    /// Every (account, stream id) the providers list, from the fixture files themselves.
    static func listedCopies() throws -> [(account: String, streamID: Int)] {
        try ["alpha", "beta"].flatMap { account in
            let url = FixtureProvider.sourceFixturesDirectory.appendingPathComponent("\(account)/get_vod_streams.json")
            let items = try ProviderValue.parse(String(contentsOf: url, encoding: .utf8)).array ?? []
            return items.compactMap { ProviderObject($0.object ?? [:]).int("stream_id") }.map { (account, $0) }
        }
    }

    /// (account name, stream id) → the public id of the entry that holds that copy.
    static func entryOfCopy(_ env: TestEnvironment) async throws -> [String: Int] {
        try await env.store.testRead { db in
            var map: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT a.name AS account, r.stream_id AS stream_id, m.public_id AS public_id
                FROM movie_relation r JOIN account a ON a.id = r.account_id JOIN movie m ON m.id = r.movie_id
                """) {
                map["\(row["account"] as String) \(row["stream_id"] as Int)"] = row["public_id"]
            }
            return map
        }
    }

    @Test func everyListedCopyIsReachableThroughAnEntryThatServesItsOwnBytes() async throws {
        try await TestEnvironment.with { env in
            let listed = try #require(try await env.api("action=get_vod_streams").array)
            let shown = Dictionary(uniqueKeysWithValues: listed.map { ($0.object!["stream_id"]!.int!, $0.object!["name"]!.text!) })
            let entries = try await Self.entryOfCopy(env)
            for (account, streamID) in try Self.listedCopies() {
                let entry = try #require(entries["\(account) \(streamID)"], "\(account) \(streamID) was not imported")
                #expect(shown[entry] != nil, "\(account) \(streamID) sits in entry \(entry), which clients are not shown")
            }
            #expect(listed.count == 24, "each variant and each second copy of one account is an entry of its own")
            // Each entry streams one of its own copies (alpha's, or beta's when alpha's one connection is
            // still held by the previous request), never another variant's file.
            for (id, copies) in [(10003, [("alpha", 10003)]), (10004, [("alpha", 10004)]), (10014, [("alpha", 10014), ("beta", 20012)]),
                                 (10015, [("alpha", 10015)]), (10016, [("alpha", 10016), ("beta", 20014)]), (10017, [("alpha", 10017)]),
                                 (20013, [("beta", 20013)]), (20001, [("beta", 20001)])] {
                let reply = try await env.request(StreamProxyTests().moviePath(id), headers: [("Range", "bytes=0-99")])
                #expect(reply.status == 206, "entry \(id)")
                let expected = try copies.map { try StreamProxyTests().expected(env, $0.0, $0.1, 0..<100) }
                #expect(expected.contains(reply.body), "entry \(id) serves one of \(copies)")
            }
        }
    }

    @Test func entriesMergeAcrossAccountsOnlyWithTheSameVariant() async throws {
        try await TestEnvironment.with { env in
            let entries = try await Self.entryOfCopy(env)
            func entry(_ account: String, _ id: Int) -> Int? { entries["\(account) \(id)"] }
            // Same account, 4K and HD: two entries.
            #expect(entry("alpha", 10014) != entry("alpha", 10015))
            #expect(entry("alpha", 10003) == 10003 && entry("alpha", 10004) == 10004)
            // Across accounts, same variant: one entry with both copies (failover as before).
            #expect(entry("beta", 20012) == 10014)
            #expect(entry("beta", 20002) == 10002)
            #expect(entry("beta", 10008) == 10008)
            // Language copies merge across accounts with each other, not with the untagged film.
            #expect(entry("alpha", 10016) == 10016 && entry("beta", 20014) == 10016)
            // Across accounts, 4K against HD: separate.
            #expect(entry("alpha", 10017) == 10017 && entry("beta", 20013) == 20013)
            // `EN - The Matrix` and `The Matrix`: no tag is a key of its own.
            #expect(entry("beta", 20001) == 20001)
            let keys = try await env.store.testRead { db in
                try Row.fetchAll(db, sql: "SELECT public_id, variant_key, title_id FROM movie").map {
                    ($0["public_id"] as Int, $0["variant_key"] as String, $0["title_id"] as Int64)
                }
            }
            let byID = Dictionary(uniqueKeysWithValues: keys.map { ($0.0, $0) })
            #expect(byID[10015]?.1 == "2160p|" && byID[10016]?.1 == "|FR" && byID[10003]?.1 == "2160p|EN")
            #expect(byID[10015]?.2 == byID[10014]?.2 && byID[10016]?.2 == byID[10002]?.2, "variants of one title share title_id")
        }
    }

    @Test func bestLoginSeesOneEntryPerTitleAndFallsBackToTheNextVariant() async throws {
        try await TestEnvironment.withAdminAPI { env in
            _ = try await env.callJSON("/api/users", .POST, json: """
                {"username": "tv", "password": "tv", "max_connections": 4, "variants": "best", "qualities": ["4K", "1080p"]}
                """, expect: 201)
            _ = try await env.callJSON("/api/users", .POST, json: """
                {"username": "fr", "password": "fr", "variants": "best", "languages": ["fr"]}
                """, expect: 201)
            _ = try await env.callJSON("/api/users", .POST, json: """
                {"username": "tablet", "password": "tablet", "max_quality": "1080p"}
                """, expect: 201)
            let all = try #require(try await env.api("action=get_vod_streams").array)
            let tv = try #require(try await env.xc("action=get_vod_streams", username: "tv", password: "tv").array)
            func names(_ list: [ProviderValue]) -> [Int: String] {
                Dictionary(uniqueKeysWithValues: list.map { ($0.object!["stream_id"]!.int!, $0.object!["name"]!.text!) })
            }
            #expect(tv.count == 18, "one entry per title: \(names(tv))")
            // Each title under the id of its first entry, showing the preferred variant.
            #expect(names(tv)[10014] == "Alien: Covenant (4K)")
            #expect(names(tv)[10017] == "Gladiator (2000) 4K")
            #expect(names(tv)[10003] == "|EN| Interstellar 4K")
            #expect(names(tv)[10015] == nil && names(tv)[20013] == nil)
            let fr = names(try #require(try await env.xc("action=get_vod_streams", username: "fr", password: "fr").array))
            #expect(fr[10002] == "|FR| Inception")
            let tablet = names(try #require(try await env.xc("action=get_vod_streams", username: "tablet", password: "tablet").array))
            #expect(tablet.count == all.count - 3, "4K copies hidden: \(tablet)")
            #expect(tablet[10015] == nil && tablet[20013] == nil && tablet[10003] == nil && tablet[10004] != nil)

            // The TV gets 4K Gladiator from beta; once beta is full (2 connections), the HD copy from alpha.
            let lookup = try await env.callJSON("/api/vod/movies/10017/stream?user=tv")
            #expect(lookup["variant"]["id"].int == 20013 && lookup["account"]["name"].string == "beta")
            #expect(lookup["candidates"].array?.map { $0["variant"]["key"].string ?? "" } == ["2160p|", "|"])
            // Fill beta's two connections with other viewings (held open): the TV gets the HD copy from alpha.
            var held: [HTTPClientResponse] = []
            for id in [20008, 20009] {
                let response = try await StreamProxyTests().open(env, env.moviePath(Int64(id)))
                #expect(response.status == .ok)
                held.append(response)
            }
            let busy = try await env.callJSON("/api/vod/movies/10017/stream?user=tv")
            #expect(busy["variant"]["id"].int == 10017 && busy["account"]["name"].string == "alpha")
            let path = env.moviePath(10017, username: "tv", password: "tv")
            let next = try await env.request(path, headers: [("Range", "bytes=0-99")])
            #expect(next.body == (try StreamProxyTests().expected(env, "alpha", 10017, 0..<100)),
                    "the next variant when the preferred one has no account with room")
            held.removeAll()   // closes the two beta viewings
            // Within the viewing the variant stays, whatever has room now.
            let seek = try await env.request(path, headers: [("Range", "bytes=1000-1099")])
            #expect(seek.body == (try StreamProxyTests().expected(env, "alpha", 10017, 1000..<1100)), "pinned to its variant")
        }
    }

    @Test func aLanguagePreferenceStreamsThatLanguagesCopy() async throws {
        try await TestEnvironment.withAdminAPI { env in
            _ = try await env.callJSON("/api/users", .POST, json: #"{"username": "fr", "password": "fr", "variants": "best", "languages": ["FR"]}"#,
                                       expect: 201)
            let reply = try await env.request(env.moviePath(10002, username: "fr", password: "fr"), headers: [("Range", "bytes=0-99")])
            #expect(reply.body == (try StreamProxyTests().expected(env, "alpha", 10016, 0..<100)), "|FR| Inception, not Inception")
            let info = try await env.xc("action=get_vod_info&vod_id=10002", username: "fr", password: "fr")
            #expect(info["movie_data"]["stream_id"].int == 10002 && info["movie_data"]["name"].string == "|FR| Inception")
            // Refused with the field named, nothing written.
            let bad = try await env.call("/api/users/fr", .PATCH, json: #"{"max_quality": "8-bit"}"#)
            #expect(bad.status == 400 && bad.text.contains("max_quality"))
            let user = try await env.callJSON("/api/users/fr")["user"]
            #expect(user["variants"].string == "best" && user["languages"].array?.count == 1 && user["max_quality"] == .null)
        }
    }

    @Test func adminDetailListsTheTitlesVariantsWithTheirRelations() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let movie = try await env.callJSON("/api/vod/movies/10002")["movie"]
            #expect(movie["variant"].string == "|")
            let variants = try #require(movie["variants"].array)
            #expect(variants.map { $0["id"].int ?? 0 } == [10002, 10016])
            try #require(variants.count == 2)
            #expect(variants[1]["key"].string == "|FR" && variants[1]["language"].string == "FR")
            #expect(variants[1]["relations"].array?.map { $0["stream_id"].int ?? 0 } == [10016, 20014])
            #expect(variants[0]["relations"].array?.map { $0["account"]["name"].string ?? "" } == ["alpha", "beta"])
        }
    }

    @Test func idsStayOnTheirFileAcrossReorderRenameDropAndReAdd() async throws {
        try await TestEnvironment.with { env in
            let before = try await Self.entryOfCopy(env)
            // Reorder (reverse), rename slightly, drop two copies.
            try env.provider.editList("alpha", file: "get_vod_streams.json") { items in
                items.reversed().compactMap { item in
                    guard var object = item.object else { return item }
                    let id = ProviderObject(object).int("stream_id")
                    if id == 10015 || id == 10004 { return nil }
                    if id == 10014 { object["name"] = .string("Alien - Covenant (2017)") }
                    if id == 10016 { object["name"] = .string("|FR| Inception.") }
                    return .object(object)
                }
            }
            var report = try await env.services.sync.run(options: SyncOptions(force: true))
            #expect(!report.failed, "\(report.text)")
            let dropped = try await Self.entryOfCopy(env)
            #expect(dropped == before, "dropping only makes copies stale; no copy changes entry")
            let listed = try #require(try await env.api("action=get_vod_streams").array).compactMap { $0.object?["stream_id"]?.int }
            #expect(!listed.contains(10015) && !listed.contains(10004), "dropped copies are not served meanwhile")
            // Re-add everything in yet another order.
            try env.provider.editList("alpha", file: "get_vod_streams.json") { items in
                items.sorted { (ProviderObject($0.object ?? [:]).int("stream_id") ?? 0) % 7 < (ProviderObject($1.object ?? [:]).int("stream_id") ?? 0) % 7 }
            }
            report = try await env.services.sync.run()
            #expect(!report.failed, "\(report.text)")
            #expect(try await Self.entryOfCopy(env) == before, "every id a client was given still names the same copies")
            for (id, copies) in [(10015, [("alpha", 10015)]), (10004, [("alpha", 10004)]), (10014, [("alpha", 10014), ("beta", 20012)])] {
                let reply = try await env.request(StreamProxyTests().moviePath(id), headers: [("Range", "bytes=0-99")])
                let expected = try copies.map { try StreamProxyTests().expected(env, $0.0, $0.1, 0..<100) }
                #expect(expected.contains(reply.body), "entry \(id) serves one of \(copies)")
            }
        }
    }

    @Test func entryPartitionPutsCopiesByVariantAndAccount() {
        let hd = VariantKey(name: "Film"), uhd = VariantKey(name: "Film 4K")
        let entries = EntryPartition.split([(1, hd), (2, hd), (1, hd), (1, uhd), (2, uhd)])
        #expect(entries.map(\.members) == [[0, 1], [2], [3, 4]])
    }
}
