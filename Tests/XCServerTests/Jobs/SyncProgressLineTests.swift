import Foundation
import Testing
@testable import XCServerKit

/// The CLI's progress line while a provider keeps a sync waiting for its first byte: silent for the
/// quiet period, then counting the wait, and back to the figures once the answer started.
@Suite struct SyncProgressLineTests {
    static func job(waitingSince since: Date?) -> SyncJob {
        var job = SyncJob(id: 1, trigger: .cli, force: false, prune: false,
                          accounts: [SyncJob.AccountState(id: 1, name: "alpha", phase: .movies)])
        job.phase = .movies
        job.currentAccount = "alpha"
        job.accounts[0].progress["movies"] = SyncJob.KindProgress()
        job.waiting = since.map { SyncJob.Waiting(account: "alpha", action: "get_vod_streams", since: $0) }
        return job
    }

    @Test func aLongWaitIsShownCounting() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let figures = "alpha: movies 0/0 (added 0, updated 0, unchanged 0, skipped 0)"
        #expect(Self.job(waitingSince: nil).progressLine(at: start) == figures)
        #expect(Self.job(waitingSince: start).progressLine(at: start + 1) == figures, "a prompt answer is not mentioned")
        #expect(Self.job(waitingSince: start).progressLine(at: start + 12.4) == "alpha: waiting for the provider to answer get_vod_streams (12 s)")
        var ended = Self.job(waitingSince: start)
        ended.phase = .failed
        #expect(ended.waitingText(at: start + 30) == nil)
    }

    @Test func waitNoticesComeAfterTheQuietPeriodThenEvery15Seconds() {
        #expect(SyncJob.waitNotices(elapsed: 0) == 0)
        #expect(SyncJob.waitNotices(elapsed: 1.9) == 0)
        #expect(SyncJob.waitNotices(elapsed: 2) == 1)
        #expect(SyncJob.waitNotices(elapsed: 16.9) == 1)
        #expect(SyncJob.waitNotices(elapsed: 17) == 2)
        #expect(SyncJob.waitNotices(elapsed: 92) == 7)
    }
}
