import Foundation
import Logging
import Synchronization
import Sync
import XCModels

/// Fetches a movie's detail (`get_vod_info`: plot, cast, duration, backdrops) from its provider in the
/// background, the first time a client opens it, and stores it for every later request.
///
/// A client never waits on this (it gets the stored answer at once). To keep a burst of browsing from
/// becoming a burst of provider requests: one fetch per title at a time, at most `maxPending` queued per
/// account, every fetch through the account's gate (concurrency and rate), and through the server's
/// `FetchGuard`: a title whose fetch failed is not asked again before its back-off, and an account
/// whose fetches keep failing is not asked at all until a probe succeeds.
final class DetailFetcher: Sendable {
    private struct State {
        var inFlight = Set<Int64>()
        var pending: [Int64: Int] = [:]
    }

    private let sync: SyncEngine
    private let fetchGuard: FetchGuard
    private let state = Mutex(State())
    let maxPending = 32

    init(sync: SyncEngine, fetchGuard: FetchGuard) {
        self.sync = sync
        self.fetchGuard = fetchGuard
    }

    /// Asks for the detail of `movieID` from `account`'s copy `streamID`, unless already asked, the
    /// account's queue is full, or the guard refuses. Returns the task for tests to await.
    @discardableResult
    func request(movieID: Int64, account: Account, streamID: Int) -> Task<Void, Never>? {
        let accountID = account.id!
        let key = FetchKey(accountID: accountID, kind: .vodInfo, item: Int64(streamID))
        let ticket = state.withLock { state -> FetchGuard.Ticket? in
            guard state.pending[accountID, default: 0] < maxPending, !state.inFlight.contains(movieID),
                  let ticket = fetchGuard.admit(key) else { return nil }
            state.inFlight.insert(movieID)
            state.pending[accountID, default: 0] += 1
            return ticket
        }
        guard let ticket else { return nil }
        return Task {
            defer {
                state.withLock { state in
                    state.inFlight.remove(movieID)
                    state.pending[accountID, default: 1] -= 1
                }
            }
            _ = await fetchGuard.run(ticket, accountName: account.name) { proceed in
                // A request that read "no detail" just before another fetch stored it must not ask again.
                let stored = try await sync.store.movieDetailFetched(movieID: movieID)
                if stored { return false }
                let answer = try await sync.client(for: account, timeout: fetchGuard.policy.timeout)
                    .fetchObject(action: "get_vod_info", parameters: [("vod_id", String(streamID))], proceed: proceed)
                let json = ProviderValue.object(answer.fields).jsonText
                try await sync.store.storeMovieDetail(movieID: movieID, json: json)
                return true
            }
        }
    }
}
