import Logging
import Synchronization
import Sync

/// Fetches a series' episodes when a client opens it before the sync got to it, at the front of the
/// account's queue; concurrent requests for the same series share one fetch.
///
/// Every fetch passes the server's `FetchGuard`: a series whose fetch failed is answered from the store
/// at once until its back-off has passed, whatever the clients do. And no client waits past `budget`
/// counted from when the fetch started, so a client joining a fetch to a hanging provider late does not
/// wait again.
final class OnDemandEpisodes: Sendable {
    private struct Running {
        var task: Task<Void, Never>
        var started: ContinuousClock.Instant
    }

    private let sync: SyncEngine
    private let fetchGuard: FetchGuard
    private let running = Mutex<[Int64: Running]>([:])

    init(sync: SyncEngine, fetchGuard: FetchGuard) {
        self.sync = sync
        self.fetchGuard = fetchGuard
    }

    /// Starts (or joins) fetches of every unfetched relation of the series the guard allows, and waits
    /// for them until `budget` after the newest of them started; they go on in the background after that.
    func fetch(seriesID: Int64, budget: Duration) async {
        guard let relations = try? await sync.unfetchedRelations(ofSeries: seriesID), !relations.isEmpty else { return }
        var tasks: [Task<Void, Never>] = []
        var newest: ContinuousClock.Instant?
        for (account, series) in relations {
            let key = FetchKey(accountID: account.id!, kind: .episodes, item: Int64(series.providerSeriesID))
            let joined = running.withLock { running -> Running? in
                if let existing = running[series.relationID] { return existing }
                guard let ticket = fetchGuard.admit(key) else { return nil }
                let task = Task {
                    defer { _ = self.running.withLock { $0.removeValue(forKey: series.relationID) } }
                    _ = await self.fetchGuard.run(ticket, accountName: account.name) { proceed in
                        let client = self.sync.client(for: account, timeout: self.fetchGuard.policy.timeout)
                        _ = try await self.sync.fetchEpisodes(series, client: client, urgent: true, proceed: proceed)
                        return true
                    }
                }
                let started = Running(task: task, started: .now)
                running[series.relationID] = started
                return started
            }
            guard let joined else { continue }
            tasks.append(joined.task)
            newest = max(newest ?? joined.started, joined.started)
        }
        guard let newest, newest + budget > .now else { return }
        await Self.wait(for: tasks, atMost: ContinuousClock.now.duration(to: newest + budget))
    }

    /// Returns when every task finished or `budget` passed, whichever is first. (A task group would wait
    /// for its children, and awaiting a `Task`'s value cannot be cancelled.)
    static func wait(for tasks: [Task<Void, Never>], atMost budget: Duration) async {
        let resumed = Mutex(false)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeOnce: @Sendable () -> Void = {
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume() }
            }
            Task {
                for task in tasks { await task.value }
                resumeOnce()
            }
            Task {
                try? await Task.sleep(for: budget)
                resumeOnce()
            }
        }
    }
}
