import FixtureProvider
import Foundation
import GRDB
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// What xcserver asks of providers: bounded, spaced, and only when a client needs it.
@Suite struct ProviderPolitenessTests {
    @Test func seriesInfoCallsRespectConcurrencyAndRate() async throws {
        try await TestEnvironment.with(sync: false) { env in
            env.provider.setFaults(FixtureFaults(infoDelay: .milliseconds(150)), for: "alpha")
            let engine = SyncEngine(store: env.store, http: .shared, gates: ProviderGates(maxConcurrent: 2, ratePerSecond: 10))
            // This test counts the VOD calls; the live lists, the login and the guide pass the same gate.
            try env.provider.editList("alpha", file: "get_live_streams.json") { _ in [] }
            try env.provider.editList("alpha", file: "get_live_categories.json") { _ in [] }
            let report = try await engine.run(accountName: "alpha")
            #expect(!report.failed, "\(report.text)")
            let stats = env.provider.stats(for: "alpha")
            #expect(stats.maxOpenAPIRequests <= 2)
            // Every call (lists included) passes the same gate: starts are at least 1/rate apart.
            let starts = stats.apiLog.map(\.at).sorted()
            let gaps = zip(starts, starts.dropFirst()).map { $0.0.duration(to: $0.1) }
            #expect(starts.count == 10, "2 category lists, 2 title lists, the login, 2 live lists, 3 series (no channel: no guide)")
            // Starts are scheduled 100 ms apart; arrival at the provider adds a little jitter on a busy machine.
            #expect(gaps.allSatisfy { $0 >= .milliseconds(50) }, "gaps: \(gaps) actions: \(stats.apiLog.map(\.action))")
            #expect(starts.first!.duration(to: starts.last!) >= .milliseconds(850), "10 starts at 10/s span at least 0.9 s")
        }
    }

    @Test func aSeriesNotYetFetchedIsFetchedWhenAClientOpensIt() async throws {
        try await TestEnvironment.with(sync: false) { env in
            _ = try await env.services.sync.run(options: SyncOptions(episodes: false))
            #expect(env.provider.stats(for: "alpha").apiRequests["get_series_info"] == nil)
            let info = try await env.api("action=get_series_info&series_id=501")
            let episodes = try #require(info.object?["episodes"]?.object)
            #expect(episodes["1"]?.array?.count == 3, "fetched on demand within the budget")
            #expect(env.provider.stats(for: "alpha").apiRequests["get_series_info"] == 1)
            #expect(env.provider.stats(for: "beta").apiRequests["get_series_info"] == 1, "beta's copy of Breaking Bad too")
            // A second client asking again does not ask the providers again.
            _ = try await env.api("action=get_series_info&series_id=501")
            #expect(env.provider.stats(for: "alpha").apiRequests["get_series_info"] == 1)
        }
    }

    @Test func aSlowProviderDoesNotHoldTheClientPastTheBudget() async throws {
        var config = ServerConfig()
        config.onDemandBudget = .milliseconds(200)
        try await TestEnvironment.with(sync: false, config: config) { env in
            _ = try await env.services.sync.run(options: SyncOptions(episodes: false))
            env.provider.setFaults(FixtureFaults(infoDelay: .seconds(3)), for: "alpha")
            env.provider.setFaults(FixtureFaults(infoDelay: .seconds(3)), for: "beta")
            let first = try await env.api("action=get_series_info&series_id=503")
            // Had the answer waited for the provider, it would list the episodes: empty proves it did not.
            #expect(first.object?["episodes"] == .object([:]), "answered from the store, not after the provider")
            expectShape(first.object?["info"], Shapes.seriesFields, "series info before its episodes arrived")
            // The fetch finished in the background; a later request has the episodes.
            var count = 0
            for _ in 0..<60 where count == 0 {
                try await Task.sleep(for: .milliseconds(100))
                count = try await env.api("action=get_series_info&series_id=503").object?["episodes"]?.object?["1"]?.array?.count ?? 0
            }
            #expect(count == 4)
        }
    }

    @Test func movieDetailIsFetchedOnceInTheBackgroundAndThenServed() async throws {
        try await TestEnvironment.with { env in
            // A burst of clients opening the same film: one provider request, none of them waits on it.
            try await withThrowingTaskGroup(of: ProviderValue.self) { group in
                for _ in 0..<10 { group.addTask { try await env.api("action=get_vod_info&vod_id=10001") } }
                for try await answer in group {
                    expectShape(answer.object?["info"], Shapes.vodInfo, "vod info")
                }
            }
            var plot = ""
            for _ in 0..<30 where plot.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                plot = try await env.api("action=get_vod_info&vod_id=10001").object?["info"]?.object?["plot"]?.text ?? ""
            }
            #expect(plot.hasPrefix("A hacker learns"))
            #expect(env.provider.stats(for: "alpha").apiRequests["get_vod_info"] == 1)
            let detail = try await env.api("action=get_vod_info&vod_id=10001")
            #expect(detail.object?["info"]?.object?["director"] == .string("Lana Wachowski, Lilly Wachowski"))
            #expect(detail.object?["info"]?.object?["duration_secs"]?.int ?? 0 > 0)
            #expect(nullPaths(in: detail).isEmpty)
        }
    }

    @Test func repeatedDetailFailuresOpenTheCircuitBreaker() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(apiStatus: 500), for: "alpha")
            let ids = [10002, 10003, 10005, 10006, 10007, 10008, 10010, 10011]
            for id in ids {
                _ = try await env.api("action=get_vod_info&vod_id=\(id)")
                try await Task.sleep(for: .milliseconds(30))
            }
            try await Task.sleep(for: .milliseconds(200))
            let asked = env.provider.stats(for: "alpha").apiRequests["get_vod_info"] ?? 0
            #expect(asked == env.services.fetchGuard.policy.breakerThreshold, "stops asking after \(env.services.fetchGuard.policy.breakerThreshold) failures in a row")
        }
    }
}
