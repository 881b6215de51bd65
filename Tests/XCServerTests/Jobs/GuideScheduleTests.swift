import Testing
import XCModels
@testable import XCServerKit

/// `serve --epg-interval`'s decisions without a clock or a store: when each account's guide is due, an
/// account added later, and a failed fetch retried with back-off.
@Suite struct GuideScheduleTests {
    static let hour: Int64 = 3600
    static let interval = 12 * hour

    func account(_ id: Int64, _ name: String, enabled: Bool = true) -> Account {
        Account(id: id, name: name, baseURL: "http://127.0.0.1:1", username: name, password: name, enabled: enabled)
    }

    typealias Known = [(account: Account, importedAt: Int64?)]

    func names(_ accounts: [Account]) -> [String] { accounts.map(\.name) }

    @Test func eachAccountIsDueAnIntervalAfterItsOwnLastImport() {
        let schedule = GuideSchedule(interval: Self.interval)
        let now: Int64 = 1_000_000
        let known: Known = [(account(1, "alpha"), importedAt: now - Self.interval), (account(2, "beta"), importedAt: now - Self.interval + 60),
                     (account(3, "never"), importedAt: nil), (account(4, "off", enabled: false), importedAt: nil)]
        #expect(names(schedule.due(known, now: now)) == ["alpha", "never"], "beta's was imported a minute later; a disabled account waits")
        #expect(names(schedule.due(known, now: now + 60)) == ["alpha", "beta", "never"])
        #expect(names(schedule.due(known, now: now - 1)) == ["never"])
    }

    @Test func aFetchThatImportedNothingStillCountsAndAnAccountAddedLaterIsDueAtOnce() {
        var schedule = GuideSchedule(interval: Self.interval)
        let start: Int64 = 1_000_000
        var known: Known = [(account(1, "alpha"), importedAt: nil)]
        #expect(names(schedule.due(known, now: start)) == ["alpha"])
        schedule.succeeded(accountID: 1, now: start)   // the store still has no import time (an empty guide)
        #expect(schedule.due(known, now: start + 60).isEmpty, "not fetched again every minute")
        known.append((account(2, "beta"), importedAt: nil))
        #expect(names(schedule.due(known, now: start + 120)) == ["beta"], "added while serving: due at the next check")
        #expect(names(schedule.due(known, now: start + Self.interval)) == ["alpha", "beta"])
    }

    @Test func aFailedFetchIsRetriedWithBackoffNeverLaterThanTheInterval() {
        var schedule = GuideSchedule(interval: 2 * Self.hour)
        let start: Int64 = 1_000_000
        let known: Known = [(account(1, "alpha"), importedAt: start - 3 * Self.hour)]   // a guide from earlier, now stale
        #expect(names(schedule.due(known, now: start)) == ["alpha"])
        var now = start
        var pauses: [Int64] = []
        for _ in 0..<10 {
            let pause = schedule.failed(accountID: 1, now: now)
            pauses.append(pause)
            #expect(schedule.due(known, now: now + pause - 1).isEmpty, "left alone during its back-off")
            #expect(names(schedule.due(known, now: now + pause)) == ["alpha"], "then tried again")
            now += pause
        }
        #expect(pauses == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600], "30 s doubling, at most 1 h")
        schedule.succeeded(accountID: 1, now: now)
        let imported: Known = [(account(1, "alpha"), importedAt: now)]
        #expect(schedule.due(imported, now: now + 2 * Self.hour - 1).isEmpty, "a success forgets the failures: back to the interval")
        #expect(names(schedule.due(imported, now: now + 2 * Self.hour)) == ["alpha"])

        var short = GuideSchedule(interval: 600)
        #expect(short.failed(accountID: 1, now: start) == 30)
        for _ in 0..<6 { short.failed(accountID: 1, now: start) }
        #expect(short.failed(accountID: 1, now: start) == 600, "never longer than the interval itself")
    }

    @Test func aRemovedAccountsFailuresDoNotDelayANewAccountWithItsId() {
        var schedule = GuideSchedule(interval: Self.interval)
        schedule.failed(accountID: 7, now: 1_000)
        schedule.keep(only: [])
        #expect(names(schedule.due([(account: account(7, "new"), importedAt: nil)], now: 1_001)) == ["new"])
    }
}
