import Foundation
import Logging
import ServiceLifecycle
import Sync
import XCModels

/// `serve --epg-interval` (default 12 h): fetches each enabled account's guide on its own schedule
/// (`GuideSchedule`: counted from that account's last import, a failed fetch retried with back-off).
/// Accounts are checked one after another, at most once a minute; the guide there was is kept while a
/// fetch fails.
struct GuideScheduler: Service {
    let sync: SyncEngine
    let interval: Duration?
    let logger: Logger
    /// How a failed fetch is retried: the lazy fetches' numbers.
    var backoff = FetchBackoffPolicy()

    func run() async throws {
        // A service that returns ends the whole server: without a schedule this one waits for shutdown.
        guard let interval, interval > .zero else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown { [self] in
            try await schedule(GuideSchedule(interval: Int64(interval.components.seconds), backoff: backoff))
        }
    }

    private func schedule(_ initial: GuideSchedule) async throws {
        var schedule = initial
        while true {
            let now = Int64(Date().timeIntervalSince1970)
            var known: [(account: Account, importedAt: Int64?)] = []
            for account in try await sync.store.accounts() {
                known.append((account, try await sync.store.guideFetchedAt(accountID: account.id!)))
            }
            schedule.keep(only: Set(known.compactMap(\.account.id)))
            for account in schedule.due(known, now: now) {
                try Task.checkCancellation()
                do {
                    let counts = try await sync.syncGuide(account)
                    schedule.succeeded(accountID: account.id!, now: now)
                    logger.info("[live] \(account.name): guide fetched, \(counts.added) programmes")
                } catch let cancellation as CancellationError {
                    throw cancellation
                } catch {
                    let pause = schedule.failed(accountID: account.id!, now: Int64(Date().timeIntervalSince1970))
                    logger.warning("[live] \(account.name): guide fetch failed, the one there was is kept; next try in \(pause) s: \(error)")
                }
            }
            try await Task.sleep(for: .seconds(60))
        }
    }
}
