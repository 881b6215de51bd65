import Foundation
import GRDB
import Logging
import Synchronization
import Sync
import XCModels

/// Fetches a movie's detail (`get_vod_info`: plot, cast, duration, backdrops) from its provider in the
/// background, the first time a client opens it, and stores it for every later request.
///
/// A client never waits on this (it gets the stored answer at once). To keep a burst of browsing from
/// becoming a burst of provider requests: one fetch per title at a time, at most `maxPending` queued per
/// account, every fetch through the account's gate (concurrency and rate), and a circuit breaker that
/// stops asking an account for `breakerPause` after `breakerThreshold` failures in a row.
final class DetailFetcher: Sendable {
    private struct AccountState {
        var pending = 0
        var failures = 0
        var openUntil: ContinuousClock.Instant?
    }

    private struct State {
        var inFlight = Set<Int64>()
        var accounts: [Int64: AccountState] = [:]
    }

    private let sync: SyncEngine
    private let logger: Logger
    private let state = Mutex(State())
    let maxPending = 32
    let breakerThreshold = 5
    let breakerPause: Duration = .seconds(600)

    init(sync: SyncEngine, logger: Logger) {
        self.sync = sync
        self.logger = logger
    }

    /// Asks for the detail of `movieID` from `account`'s copy `streamID`, unless already asked, the
    /// account's queue is full, or its breaker is open. Returns the task for tests to await.
    @discardableResult
    func request(movieID: Int64, account: Account, streamID: Int) -> Task<Void, Never>? {
        let accountID = account.id!
        let admitted = state.withLock { state -> Bool in
            var accountState = state.accounts[accountID, default: AccountState()]
            if let openUntil = accountState.openUntil, openUntil > .now { return false }
            guard accountState.pending < maxPending, state.inFlight.insert(movieID).inserted else { return false }
            accountState.pending += 1
            state.accounts[accountID] = accountState
            return true
        }
        guard admitted else { return nil }
        return Task {
            var succeeded = false
            defer { finish(movieID: movieID, accountID: accountID, succeeded: succeeded, accountName: account.name) }
            do {
                // A request that read "no detail" just before another fetch stored it must not ask again.
                let stored = try await sync.store.pool.read { db in
                    try Bool.fetchOne(db, sql: "SELECT detail_fetched_at IS NOT NULL FROM movie WHERE id = ?", arguments: [movieID]) ?? false
                }
                if stored {
                    succeeded = true
                    return
                }
                let client = sync.client(for: account)
                let answer = try await client.fetchObject(action: "get_vod_info", parameters: [("vod_id", String(streamID))])
                let json = ProviderValue.object(answer.fields).jsonText
                try await sync.store.pool.write { db in
                    try db.execute(sql: "UPDATE movie SET detail = ?, detail_fetched_at = ? WHERE id = ?",
                                   arguments: [json, Int64(Date().timeIntervalSince1970), movieID])
                }
                succeeded = true
                logger.debug("[api] stored detail of movie \(movieID) from \(account.name)")
            } catch {
                logger.warning("[api] detail of movie \(movieID) from \(account.name) failed: \(error)")
            }
        }
    }

    private func finish(movieID: Int64, accountID: Int64, succeeded: Bool, accountName: String) {
        let opened = state.withLock { state -> Bool in
            state.inFlight.remove(movieID)
            var accountState = state.accounts[accountID, default: AccountState()]
            accountState.pending -= 1
            accountState.failures = succeeded ? 0 : accountState.failures + 1
            var opened = false
            if accountState.failures >= breakerThreshold {
                accountState.openUntil = .now + breakerPause
                accountState.failures = 0
                opened = true
            }
            state.accounts[accountID] = accountState
            return opened
        }
        if opened {
            logger.warning("[api] \(accountName): \(breakerThreshold) detail fetches failed in a row; not asking it for details for \(breakerPause)")
        }
    }
}
