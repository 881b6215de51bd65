import Foundation
import Sync
import Testing
@testable import XCServerKit

/// `serve --sync-interval`: the schedule runs sync jobs through the same machinery as the API.
@Suite struct SyncScheduleTests {
    @Test func theScheduleRunsJobsAtItsInterval() async throws {
        try await TestEnvironment.withAdmin(syncInterval: .seconds(1)) { env in
            // A database that never had a full sync is synced at once, then once per interval.
            var scheduled: [ProviderValue] = []
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline {
                let jobs = try await env.admin("/api/sync/jobs").json().member("jobs")?.array ?? []
                scheduled = jobs.filter { $0.member("trigger")?.text == "schedule" }.reversed()
                if scheduled.count >= 2, scheduled[1].jobPhase == "done" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(scheduled.count >= 2, "two scheduled jobs ran")
            #expect(scheduled[0].jobPhase == "done")
            #expect(scheduled[0].member("accounts")?.array?.count == 2, "every account")
            let firstEnd = try #require(scheduled[0].member("ended_at")?.text.flatMap(Self.date))
            let secondStart = try #require(scheduled[1].member("started_at")?.text.flatMap(Self.date))
            #expect(secondStart.timeIntervalSince(firstEnd) >= 0.9, "the interval counts from the end of the last sync")
            #expect(await env.services.jobs.lastFullSync() != nil, "kept in the database for the next start")
            #expect(try await env.api("action=get_vod_streams").array?.count == 24)
        }
    }

    @Test func noIntervalMeansNoScheduledJobs() async throws {
        try await TestEnvironment.withAdmin(syncInterval: .zero) { env in
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await env.admin("/api/sync/jobs").json().member("jobs")?.array?.isEmpty == true)
        }
    }

    @Test func aRecentSyncPostponesTheFirstScheduledOne() async throws {
        try await TestEnvironment.withAdmin(syncInterval: .seconds(3600)) { env in
            // Nothing recorded yet: the first run starts at once; it is recorded when it ends.
            let deadline = ContinuousClock.now + .seconds(30)
            while await env.services.jobs.lastFullSync() == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(500))
            let jobs = try await env.admin("/api/sync/jobs").json().member("jobs")?.array ?? []
            #expect(jobs.count == 1, "one run, the next an hour later")
        }
    }

    static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
