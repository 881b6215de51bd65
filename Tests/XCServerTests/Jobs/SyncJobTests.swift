import FixtureProvider
import Foundation
import GRDB
import NIOHTTP1
import Sync
import Synchronization
import Testing
import XCModels
@testable import XCServerKit

/// Sync jobs over real HTTP against the fixture provider: lifecycle and progress, one sync per
/// account, cancellation keeping what was committed, prune, and the errors of each route.
@Suite struct SyncJobTests {
    static let kinds = ["categories", "movies", "series", "live", "guide", "episodes"]
    static let figures = ["done", "total", "added", "updated", "unchanged", "stale", "skipped"]

    @Test func aJobRunsToAFinalStateWithProgressThatOnlyGrows() async throws {
        try await TestEnvironment.withAdmin { env in
            // Slow enough that polling sees the job between its steps.
            env.provider.setFaults(FixtureFaults(infoDelay: .milliseconds(150)), for: "alpha")
            env.provider.setFaults(FixtureFaults(firstByteDelay: .milliseconds(100)), for: "beta")
            let reply = try await env.admin("/api/sync", method: .POST)
            #expect(reply.status == 202)
            let job = try #require(try reply.json().member("job"))
            let id = job.jobID
            #expect(reply.headers.first(name: "Location") == "/api/sync/jobs/\(id)")
            #expect(job.jobPhase == "queued")
            #expect(job.member("trigger")?.text == "api")
            #expect(job.member("accounts")?.array?.compactMap { $0.member("name")?.text } == ["alpha", "beta"])
            #expect(job.member("ended_at") == .null)

            let states = try await env.pollJob(id) { SyncJob.Phase(rawValue: $0.jobPhase)?.isFinal ?? false }
            let allowed: Set<String> = ["queued", "categories", "movies", "series", "live", "guide", "episodes", "finishing", "done"]
            #expect(states.allSatisfy { allowed.contains($0.jobPhase) }, "\(states.map(\.jobPhase))")
            #expect(states.contains { !["queued", "done"].contains($0.jobPhase) }, "polling saw the job at work")
            for (before, after) in zip(states, states.dropFirst()) {
                for kind in Self.kinds {
                    for figure in Self.figures {
                        #expect(after.jobFigure(kind, figure) >= before.jobFigure(kind, figure), "\(kind).\(figure) went down")
                    }
                }
                #expect(after.member("counters")?.member("added")?.int ?? 0 >= before.member("counters")?.member("added")?.int ?? 0)
            }
            for state in states {
                for kind in Self.kinds { #expect(state.jobFigure(kind, "done") <= state.jobFigure(kind, "total"), "\(kind) done > total") }
            }

            let last = try #require(states.last)
            #expect(last.jobPhase == "done")
            #expect(last.member("errors")?.array?.isEmpty == true)
            #expect(last.member("started_at")?.text?.isEmpty == false)
            #expect(last.member("ended_at")?.text?.isEmpty == false)
            #expect(last.member("seconds")?.double ?? 0 > 0)
            #expect(last.member("account") == .null)
            // fixtures/README.md: 13 + 11 movies listed, 2 without id; 3 + 2 series; 15 + 9 episodes.
            #expect(last.jobFigure("movies", "done") == 31)
            #expect(last.jobFigure("movies", "total") == 31)
            #expect(last.jobFigure("movies", "added") == 29)
            #expect(last.jobFigure("movies", "skipped") == 2)
            #expect(last.jobFigure("series", "added") == 5)
            #expect(last.jobFigure("episodes", "done") == 5, "series fetched")
            #expect(last.jobFigure("episodes", "total") == 5, "series due")
            #expect(last.jobFigure("episodes", "added") == 24)
            #expect(last.jobFigure("categories", "done") > 0)
            let added = Self.kinds.map { last.jobFigure($0, "added") }.reduce(0, +)
            #expect(last.member("counters")?.member("added")?.int == added)
            #expect(last.jobAccount("alpha")?.member("phase")?.text == "done")
            #expect(last.jobAccount("beta")?.member("phase")?.text == "done")
            #expect(last.jobAccount("alpha")?.member("progress")?.member("movies")?.member("added")?.int == 16)

            let listed = try await env.admin("/api/sync/jobs").json().member("jobs")?.array ?? []
            #expect(listed.first?.jobID == id)
            #expect(listed.first?.jobPhase == "done")
            #expect(try await env.api("action=get_vod_streams").array?.count == 24, "the synced catalog is served")
        }
    }

    @Test func routesNeedTheTokenAndAnswerErrorsInTheAPIShape() async throws {
        try await TestEnvironment.withAdmin { env in
            for (path, method) in [("/api/sync", NIOHTTP1.HTTPMethod.POST), ("/api/sync/jobs", .GET), ("/api/sync/jobs/1", .GET),
                                   ("/api/sync/jobs/1/cancel", .POST), ("/api/vod/prune", .POST)] {
                for token in [nil, "wrong"] {
                    let reply = try await env.admin(path, method: method, token: token)
                    #expect(reply.status == 401, "\(path) with token \(token ?? "none")")
                    #expect(try reply.json().member("error")?.member("code")?.text == "unauthorized")
                }
            }
            #expect(try await env.admin("/api/sync/jobs").json().member("jobs")?.array?.isEmpty == true)
            for path in ["/api/sync/jobs/12345", "/api/sync/jobs/abc"] {
                let reply = try await env.admin(path)
                #expect(reply.status == 404)
                #expect(try reply.json().member("error")?.member("code")?.text == "not_found")
            }
            #expect(try await env.admin("/api/sync/jobs/77/cancel", method: .POST).status == 404)

            let unknown = try await env.admin("/api/sync", method: .POST, json: #"{"account": "nope"}"#)
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("nope"))
            for (body, field) in [(#"{"force": "yes"}"#, "force"), (#"{"account": ""}"#, "account"), (#"{"prune": 1}"#, "prune")] {
                let reply = try await env.admin("/api/sync", method: .POST, json: body)
                #expect(reply.status == 400, "\(body)")
                #expect(try reply.json().member("error")?.member("field")?.text == field, "\(body): \(reply.text)")
            }
            #expect(try await env.admin("/api/sync", method: .POST, json: "{nope").status == 400)
            let negative = try await env.admin("/api/vod/prune", method: .POST, json: #"{"stale_for_seconds": -1}"#)
            #expect(negative.status == 400)
            #expect(try negative.json().member("error")?.member("field")?.text == "stale_for_seconds")

            var beta = try #require(try await env.store.account(named: "beta"))
            beta.enabled = false
            try await env.store.updateAccount(beta)
            let disabled = try await env.admin("/api/sync", method: .POST, json: #"{"account": "beta"}"#)
            #expect(disabled.status == 422)
            #expect(try disabled.json().member("error")?.member("code")?.text == "unprocessable")
            // Every account means every enabled one.
            let all = try await env.startSync()
            #expect(all.member("accounts")?.array?.compactMap { $0.member("name")?.text } == ["alpha"])
            #expect(try await env.waitForJob(all.jobID).jobPhase == "done")
        }
    }

    @Test func aSecondSyncOfABusyAccountIsRefusedWith409() async throws {
        try await TestEnvironment.withAdmin { env in
            env.provider.setFaults(FixtureFaults(firstByteDelay: .milliseconds(500)), for: "alpha")
            let first = try await env.startSync(#"{"account": "alpha"}"#)
            #expect(first.member("accounts")?.array?.count == 1)

            let again = try await env.admin("/api/sync", method: .POST, json: #"{"account": "alpha"}"#)
            #expect(again.status == 409)
            let error = try again.json().member("error")
            #expect(error?.member("code")?.text == "conflict")
            #expect(error?.member("message")?.text?.contains("job \(first.jobID)") == true, "\(again.text)")
            #expect(try await env.admin("/api/sync", method: .POST).status == 409, "every account includes the busy one")

            // Another account is free to sync meanwhile.
            let beta = try await env.startSync(#"{"account": "beta", "force": true}"#)
            #expect(beta.member("force") == .bool(true))

            let cancel = try await env.admin("/api/sync/jobs/\(first.jobID)/cancel", method: .POST)
            #expect(cancel.status == 202)
            #expect(try cancel.json().member("job")?.member("cancel_requested") == .bool(true))
            #expect(try await env.waitForJob(first.jobID).jobPhase == "cancelled")
            #expect(try await env.waitForJob(beta.jobID).jobPhase == "done")
            #expect(try await env.admin("/api/sync/jobs/\(first.jobID)/cancel", method: .POST).status == 409, "already ended")

            // Once the job ended, the account is free again.
            env.provider.setFaults(.none, for: "alpha")
            let later = try await env.startSync(#"{"account": "alpha"}"#)
            #expect(try await env.waitForJob(later.jobID).jobPhase == "done")
            let ids = try await env.admin("/api/sync/jobs").json().member("jobs")?.array?.map(\.jobID)
            #expect(ids == [later.jobID, beta.jobID, first.jobID], "newest first")
        }
    }

    @Test func aCancelledJobStopsAndKeepsWhatWasCommitted() async throws {
        try await TestEnvironment.withAdmin { env in
            // Each series fetch hangs 60 s: a cancel that waited for the ones in flight would take that long.
            env.provider.setFaults(FixtureFaults(infoDelay: .seconds(60)), for: "alpha")
            let job = try await env.startSync()
            try await env.pollJob(job.jobID, timeout: .seconds(120)) { $0.jobPhase == "episodes" }
            let cancelledAt = ContinuousClock.now
            let cancel = try await env.admin("/api/sync/jobs/\(job.jobID)/cancel", method: .POST)
            #expect(cancel.status == 202)
            let final = try await env.waitForJob(job.jobID, timeout: .seconds(45))
            #expect(cancelledAt.duration(to: .now) < .seconds(30), "the series fetches in flight were dropped, not waited for")
            #expect(final.jobPhase == "cancelled")
            #expect(final.member("ended_at")?.text?.isEmpty == false)
            #expect(final.jobAccount("alpha")?.member("phase")?.text == "cancelled")
            #expect(final.jobAccount("beta")?.member("phase")?.text == "cancelled", "accounts after the cancelled one never start, and end with the job")
            #expect(final.jobAccount("beta")?.member("seconds") == .null)
            #expect(final.jobFigure("movies", "added") == 16)
            #expect(final.jobFigure("series", "added") == 3)

            let alphaID = try #require(try await env.store.account(named: "alpha")?.id)
            let betaID = try #require(try await env.store.account(named: "beta")?.id)
            let counts = try await env.store.testRead { db in
                try [("movie_relation", alphaID), ("movie_relation", betaID), ("series_relation", alphaID), ("episode_relation", alphaID)].map {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0.0) WHERE account_id = ?", arguments: [$0.1])!
                } + [Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation WHERE stale = 1")!]
            }
            #expect(counts == [16, 0, 3, 0, 0], "alpha's lists committed, nothing of beta, nothing marked stale")
            // Alpha's 16 copies are 16 entries (a second copy in one account is an entry of its own), served at once.
            #expect(try await env.api("action=get_vod_streams").array?.count == 16)

            // The next sync finds the committed part in place.
            env.provider.setFaults(.none, for: "alpha")
            let next = try await env.waitForJob(try await env.startSync(#"{"account": "alpha"}"#).jobID)
            #expect(next.jobPhase == "done")
            #expect(next.jobFigure("movies", "unchanged") == 16)
            #expect(next.jobFigure("movies", "added") == 0)
            #expect(next.jobFigure("episodes", "added") == 15)
        }
    }

    /// Cancelled straight after it was started, before any account began: the job and every one of its
    /// accounts end `cancelled`; none stays `queued` (or in its first step) for good.
    @Test func aJobCancelledAtOnceLeavesNoAccountQueued() async throws {
        try await TestEnvironment.withAdmin { env in
            env.provider.setFaults(FixtureFaults(firstByteDelay: .seconds(10)), for: "alpha")
            let job = try await env.startSync()
            let cancel = try await env.admin("/api/sync/jobs/\(job.jobID)/cancel", method: .POST)
            #expect(cancel.status == 202)
            let final = try await env.waitForJob(job.jobID, timeout: .seconds(120))
            #expect(final.jobPhase == "cancelled")
            let phases = final.member("accounts")?.array?.compactMap { $0.member("phase")?.text }
            #expect(phases == ["cancelled", "cancelled"], "\(final.jsonText)")
        }
    }

    /// The engine itself: cancelled in the middle of a long list, it stops between two batches, and
    /// exactly the batches committed before are in the database.
    @Test func cancellationStopsBetweenBatchesOfALongList() async throws {
        let generated = FixtureAccount(username: "big", password: "big", catalog: .generated(movies: 6000, series: 4, episodesPerSeries: 2, seed: 11))
        try await TestEnvironment.with(accounts: [.init(fixture: generated, name: "big", priority: 1, maxConnections: 1)], sync: false) { env in
            let account = try #require(try await env.store.account(named: "big"))
            var options = SyncOptions()
            options.batchSize = 100
            let committedAtCancel = Mutex<Int?>(nil)
            let report = try await Task {
                try await env.services.sync.run(accounts: [account], options: options) { event in
                    guard case .kind(_, "movies", let done, _, _) = event, done >= 1000 else { return }
                    committedAtCancel.withLock { value in
                        if value == nil {
                            value = done
                            withUnsafeCurrentTask { $0?.cancel() }
                        }
                    }
                }
            }.value
            let committed = try #require(committedAtCancel.withLock { $0 })
            #expect(report.cancelled)
            #expect(report.accounts.first?.cancelled == true)
            #expect(report.accounts.first?.error == nil)
            #expect(committed < 6000, "the list arrived in several batches")
            #expect(report.accounts.first?.kinds["movies"]?.added == committed)
            #expect(report.accounts.first?.kinds["series"] == nil, "nothing after the cancelled step")
            let (relations, stale, series) = try await env.store.testRead { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation")!,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation WHERE stale = 1")!,
                 try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM series_relation")!)
            }
            #expect(relations == committed, "every batch reported committed is in the database, and nothing more")
            #expect(stale == 0)
            #expect(series == 0)
            #expect(try await env.api("action=get_vod_streams").array?.count == committed, "preferred relations recomputed after the cancel")
        }
    }

    @Test func pruneDeletesLongStaleTitles() async throws {
        try await TestEnvironment.withAdmin(sync: true) { env in
            // beta stops listing Parasite (20008), which only beta had.
            try env.provider.editList("beta", file: "get_vod_streams.json") { $0.filter { $0.object?["stream_id"]?.int != 20008 } }
            let job = try await env.waitForJob(try await env.startSync().jobID)
            #expect(job.jobPhase == "done")
            #expect(job.jobFigure("movies", "stale") == 1)
            #expect(try await env.api("action=get_vod_streams").array?.count == 23, "a stale title is not served")

            let recent = try await env.admin("/api/vod/prune", method: .POST, json: #"{"stale_for_seconds": 86400}"#)
            #expect(recent.status == 200)
            #expect(try recent.json().member("deleted")?.int == 0, "stale for less than a day")
            let all = try await env.admin("/api/vod/prune", method: .POST)
            #expect(all.status == 200)
            #expect(try all.json().member("deleted")?.int == 1)
            let movies = try await env.store.testRead { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie")! }
            #expect(movies == 23, "the title left without any relation is gone")

            // Not while a sync runs: it may bring back a stale relation it already knows by id.
            env.provider.setFaults(FixtureFaults(firstByteDelay: .seconds(2)), for: "alpha")
            let running = try await env.startSync()
            let refused = try await env.admin("/api/vod/prune", method: .POST, json: "{}")
            #expect(refused.status == 409)
            _ = try await env.admin("/api/sync/jobs/\(running.jobID)/cancel", method: .POST)
            #expect(try await env.waitForJob(running.jobID).jobPhase == "cancelled")
        }
    }
}
