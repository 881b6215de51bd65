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
        let all = tasks
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for task in all { await task.value } }
            group.addTask { try? await Task.sleep(for: budget) }
            await group.next()
            group.cancelAll()
        }
    }
}
