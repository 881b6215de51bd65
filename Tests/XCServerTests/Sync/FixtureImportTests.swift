import FixtureProvider
import Foundation
import GRDB
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// A real sync of the two fixture accounts (`fixtures/README.md` lists every item and the outcome
/// asserted here), then the XC API over HTTP.
@Suite struct FixtureImportTests {
    @Test func syncReportCountsEveryKindAndSkip() async throws {
        try await TestEnvironment.with(sync: false) { env in
            let report = try await env.services.sync.run()
            #expect(!report.failed, "\(report.text)")
            let alpha = try #require(report.accounts.first { $0.account == "alpha" })
            let beta = try #require(report.accounts.first { $0.account == "beta" })
            #expect(report.accounts.map(\.account) == ["alpha", "beta"], "highest priority syncs first")
            #expect(alpha.kinds["movies"]?.added == 16)
            #expect(alpha.kinds["movies"]?.skipReasons == ["missing stream_id": 1])
            #expect(beta.kinds["movies"]?.added == 13)
            #expect(beta.kinds["movies"]?.skipReasons == ["missing stream_id": 1])
            #expect(alpha.kinds["series"]?.added == 3)
            #expect(beta.kinds["series"]?.added == 2)
            #expect(alpha.kinds["episodes"]?.added == 15)
            #expect(alpha.kinds["episodes"]?.skipReasons == ["missing episode id": 1])
            #expect(beta.kinds["episodes"]?.added == 9)
            #expect(beta.kinds["episodes"]?.skipped == 0)
        }
    }

    @Test func deduplicatesTitlesAcrossAndWithinAccounts() async throws {
        try await TestEnvironment.with { env in
            let counts = try await env.store.testRead { db in
                try ["movie", "movie_relation", "series", "series_relation", "episode", "episode_relation"].map {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)")!
                }
            }
            #expect(counts == [24, 29, 4, 5, 19, 24])
            let movies = try #require(try await env.api("action=get_vod_streams").array)
            #expect(movies.count == 24, "multi-account copies of one variant are listed once, each variant once")
            let ids = Dictionary(grouping: movies, by: { TitleIdentity.normalizedName($0.object!["name"]!.text!).key })
                .mapValues { $0.compactMap { $0.object?["stream_id"]?.int }.sorted() }
            // The highest-priority account's stream id, whichever account's item matched by which key;
            // one id per variant (fixtures/README.md).
            #expect(ids["the matrix"] == [10001, 20001])
            #expect(ids["inception"] == [10002, 10016], "Inception and |FR| Inception")
            #expect(ids["interstellar"] == [10003, 10004])
            #expect(ids["heat"] == [10005])
            #expect(ids["spirited away"] == [10006, 20004])
            #expect(ids["the godfather"] == [10008])
            #expect(ids["pulp fiction"] == [10007])
            #expect(ids["parasite"] == [20008])
            #expect(ids["alien covenant"] == [10014, 10015])
            #expect(ids["gladiator"] == [10017, 20013])
            // beta's Fight Club uses alpha's Pulp Fiction id: it gets one from the reserved range.
            let fightClub = try #require(ids["fight club"]?.first)
            #expect(fightClub > 2_000_000_000 && fightClub <= Int(Int32.max))
            #expect(movies.filter { ($0.object?["stream_id"]?.int ?? 0) > 2_000_000_000 }.count == 1)
            #expect(Set(movies.compactMap { $0.object?["stream_id"]?.int }).count == 24)
        }
    }

    @Test func episodesAreListedOnceWithThePreferredAccountsIds() async throws {
        try await TestEnvironment.with { env in
            let series = try #require(try await env.api("action=get_series").array)
            #expect(Set(series.compactMap { $0.object?["series_id"]?.int }) == [501, 502, 503, 602])
            func episodes(_ id: Int) async throws -> [String: [Int]] {
                let info = try await env.api("action=get_series_info&series_id=\(id)")
                return try #require(info.object?["episodes"]?.object).mapValues { list in
                    (list.array ?? []).compactMap { Int($0.object?["id"]?.text ?? "") }
                }
            }
            #expect(try await episodes(501) == ["1": [11001, 11002, 11003], "2": [11004, 11005, 21006]])
            #expect(try await episodes(502) == ["0": [11101], "1": [11102, 11103, 11104], "2": [11105, 11106]])
            #expect(try await episodes(503) == ["1": [11201, 11202, 11204, 11205]])
            #expect(try await episodes(602) == ["1": [21101, 21102, 21103]])
            // Chernobyl's provider sent `seasons: []`: one is synthesized for the season present.
            let chernobyl = try await env.api("action=get_series_info&series_id=503")
            let seasons = try #require(chernobyl.object?["seasons"]?.array)
            #expect(seasons.count == 1)
            #expect(seasons.first?.object?["season_number"] == .number(1))
            #expect(seasons.first?.object?["episode_count"] == .number(4))
        }
    }

    @Test func categoriesMergeByNameAndHideEmptyOnes() async throws {
        try await TestEnvironment.with { env in
            func categories(_ action: String) async throws -> [String: String] {
                let list = try #require(try await env.api("action=\(action)").array)
                return Dictionary(uniqueKeysWithValues: list.map { ($0.object!["category_name"]!.text!, $0.object!["category_id"]!.text!) })
            }
            let vod = try await categories("get_vod_categories")
            #expect(Set(vod.keys) == ["Action", "Comedy", "Drama"], "Documentaries has no titles")
            let series = try await categories("get_series_categories")
            #expect(Set(series.keys) == ["Drama", "Sci-Fi", "Comedy"], "Kids has no titles")
            func titles(_ id: String) async throws -> [String: Int] {
                Dictionary(try #require(try await env.api("action=get_vod_streams&category_id=\(id)").array).map {
                    (TitleIdentity.normalizedName($0.object!["name"]!.text!).key, 1)
                }, uniquingKeysWith: +)
            }
            // Entries per title (variants are entries of their own).
            #expect(try await titles(vod["Action"]!) == ["the matrix": 2, "inception": 2, "interstellar": 2, "heat": 1,
                                                          "pulp fiction": 1, "the godfather": 1, "hot fuzz": 1, "dune part two": 1,
                                                          "alien covenant": 2, "gladiator": 2])
            #expect(try await titles(vod["Comedy"]!) == ["the grand budapest hotel": 1, "superbad": 1, "groundhog day": 1, "hot fuzz": 1])
            #expect(try await titles(vod["Drama"]!) == ["heat": 1, "spirited away": 1, "fight club": 1, "the godfather": 1, "parasite": 1,
                                                         "the shawshank redemption": 1, "whiplash": 1, "dune part two": 1])
            let drama = try #require(try await env.api("action=get_series&category_id=\(series["Drama"]!)").array)
            #expect(Set(drama.compactMap { $0.object?["series_id"]?.int }) == [501, 503])
        }
    }

    @Test func resyncIsIdempotentAndKeepsIds() async throws {
        try await TestEnvironment.with { env in
            let before = try await env.request(env.apiPath("action=get_vod_streams")).body
            let report = try await env.services.sync.run()
            for account in report.accounts {
                for kind in ["movies", "series", "episodes"] {
                    let counts = try #require(account.kinds[kind])
                    #expect(counts.added == 0 && counts.updated == 0 && counts.stale == 0, "\(account.account) \(kind): \(counts)")
                }
            }
            #expect(report.accounts.first { $0.account == "alpha" }?.kinds["movies"]?.unchanged == 16)
            // Episodes of unchanged series are not fetched again.
            #expect(env.provider.stats(for: "alpha").apiRequests["get_series_info"] == 3)
            #expect(try await env.request(env.apiPath("action=get_vod_streams")).body == before)
        }
    }

    @Test func droppedTitlesGoStaleAndAreNoLongerServed() async throws {
        try await TestEnvironment.with { env in
            // Beta stops listing Parasite: the rest of its list is unchanged.
            try env.provider.editList("beta", file: "get_vod_streams.json") { items in
                items.filter { $0.object?["stream_id"]?.int != 20008 }
            }
            let report = try await env.services.sync.run()
            #expect(report.accounts.first { $0.account == "beta" }?.kinds["movies"]?.stale == 1)
            let ids = try #require(try await env.api("action=get_vod_streams").array).compactMap { $0.object?["stream_id"]?.int }
            #expect(!ids.contains(20008))
            #expect(ids.count == 23)
            #expect(try await env.api("action=get_vod_info&vod_id=20008") == .object(["info": .object([:]), "movie_data": .object([:])]))
            // Stale, not deleted, until a prune.
            #expect(try await env.store.testRead { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation WHERE stale = 1") } == 1)
            #expect(try await env.services.sync.prune() == 1)
            #expect(try await env.store.testRead { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie") } == 23)
        }
    }

    @Test func anEmptyAnswerIsAFaultNotACatalog() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(emptyLists: true), for: "alpha")
            let report = try await env.services.sync.run()
            let alpha = try #require(report.accounts.first { $0.account == "alpha" })
            #expect(alpha.error?.contains("refusing to mark 16 of 16 movies stale") == true, "\(alpha.error ?? "no error")")
            #expect(report.accounts.first { $0.account == "beta" }?.error == nil, "the other account still syncs")
            #expect(try #require(try await env.api("action=get_vod_streams").array).count == 24, "nothing was lost")
            var forced = SyncOptions(force: true)
            forced.episodes = false
            let forcedReport = try await env.services.sync.run(accountName: "alpha", options: forced)
            #expect(forcedReport.accounts.first?.kinds["movies"]?.stale == 16)
        }
    }

    @Test func aProviderThatIsDownOrAnswersGarbageFailsOnlyItsAccount() async throws {
        for faults in [FixtureFaults(apiStatus: 500), FixtureFaults(apiGarbage: true)] {
            try await TestEnvironment.with(sync: false) { env in
                env.provider.setFaults(faults, for: "alpha")
                let report = try await env.services.sync.run()
                let alpha = try #require(report.accounts.first { $0.account == "alpha" })
                let message = try #require(alpha.error)
                #expect(message.contains("HTTP 500") || message.contains("not a JSON list"), "\(message)")
                #expect(report.accounts.first { $0.account == "beta" }?.error == nil)
                // Beta's titles are served, with beta's ids where alpha would have had priority.
                let ids = try #require(try await env.api("action=get_vod_streams").array).compactMap { $0.object?["stream_id"]?.int }
                #expect(ids.count == 13, "beta's 13 copies, each its own entry or merged with another of beta's variants: \(ids)")
                #expect(ids.contains(20001))
            }
        }
    }
}
