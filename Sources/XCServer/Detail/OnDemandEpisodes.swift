import Logging
import Synchronization
import Sync

/// Fetches a series' episodes when a client opens it before the sync got to it, at the front of the
/// account's queue; concurrent requests for the same series share one fetch.
final class OnDemandEpisodes: Sendable {
    private let sync: SyncEngine
    private let logger: Logger
    private let running = Mutex<[Int64: Task<Void, Never>]>([:])

    init(sync: SyncEngine, logger: Logger) {
        self.sync = sync
        self.logger = logger
    }

    /// Starts (or joins) fetches of every unfetched relation of the series and waits for them at most
    /// `budget`; they go on in the background after that.
    func fetch(seriesID: Int64, budget: Duration) async {
        guard let relations = try? await sync.unfetchedRelations(ofSeries: seriesID), !relations.isEmpty else { return }
        var tasks: [Task<Void, Never>] = []
        for (account, series) in relations {
            let task = running.withLock { running -> Task<Void, Never> in
                if let task = running[series.relationID] { return task }
                let task = Task {
                    defer { _ = self.running.withLock { $0.removeValue(forKey: series.relationID) } }
                    do {
                        _ = try await self.sync.fetchEpisodes(series, client: self.sync.client(for: account), urgent: true)
                    } catch {
                        self.logger.warning("[api] on-demand episodes of series \(seriesID) from \(account.name) failed: \(error)")
                    }
                }
                running[series.relationID] = task
                return task
            }
            tasks.append(task)
        }
        await Self.wait(for: tasks, atMost: budget)
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
