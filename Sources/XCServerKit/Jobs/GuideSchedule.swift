import XCModels

/// When each account's guide is fetched under `serve --epg-interval`, as a value that takes the time
/// (Unix seconds) as an argument: no clock, no store (`GuideScheduler` is the shell).
///
/// - An enabled account's guide is due when it was never imported, or `interval` after its last import
///   (kept in the database, so a restart does not refetch every guide) or after this schedule's last
///   successful fetch of it, whichever is later (a fetch that imports nothing still counts).
/// - An account added while serving has no import: it is due at the next check.
/// - A failed fetch is tried again after a back-off instead of waiting a whole interval: the lazy
///   fetches' rule (`FetchBackoffPolicy.backoff`, 30 s doubling up to 1 h by default), never longer
///   than the interval. The guide there was is kept meanwhile. A success forgets the failures.
struct GuideSchedule: Sendable {
    let interval: Int64
    let backoff: FetchBackoffPolicy
    private var fetched: [Int64: Int64] = [:]
    private var failing: [Int64: (failures: Int, retryAt: Int64)] = [:]

    init(interval: Int64, backoff: FetchBackoffPolicy = FetchBackoffPolicy()) {
        self.interval = interval
        self.backoff = backoff
    }

    /// The accounts whose guide is due at `now`, given when each was last imported.
    func due(_ accounts: [(account: Account, importedAt: Int64?)], now: Int64) -> [Account] {
        accounts.filter { entry in
            guard entry.account.enabled, let id = entry.account.id else { return false }
            if let failure = failing[id] { return now >= failure.retryAt }
            guard let last = [entry.importedAt, fetched[id]].compactMap({ $0 }).max() else { return true }
            return now - last >= interval
        }.map(\.account)
    }

    mutating func succeeded(accountID: Int64, now: Int64) {
        fetched[accountID] = now
        failing[accountID] = nil
    }

    /// Records a failed fetch; returns the seconds until the account is tried again.
    @discardableResult
    mutating func failed(accountID: Int64, now: Int64) -> Int64 {
        let failures = (failing[accountID]?.failures ?? 0) + 1
        let pause = min(backoff.backoff(afterFailures: failures).components.seconds, interval)
        failing[accountID] = (failures, now + pause)
        return pause
    }

    /// Forgets accounts that are gone (a new account may be given a removed one's row id).
    mutating func keep(only accountIDs: Set<Int64>) {
        fetched = fetched.filter { accountIDs.contains($0.key) }
        failing = failing.filter { accountIDs.contains($0.key) }
    }
}
