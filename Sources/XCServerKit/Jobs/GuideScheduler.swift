import Foundation
import Logging
import ServiceLifecycle
import Sync
import XCModels

/// `serve --epg-interval` (default 12 h): fetches each enabled account's guide on its own schedule,
/// counted from that account's last import (kept in the database, so a restart does not refetch every
/// guide, and a syncing account's guide step counts too). Accounts are checked one after another, at
/// most once a minute; a failing guide is tried again after the interval, the guide there was is kept.
struct GuideScheduler: Service {
    let sync: SyncEngine
    let interval: Duration?
    let logger: Logger

    func run() async throws {
        // A service that returns ends the whole server: without a schedule this one waits for shutdown.
        guard let interval, interval > .zero else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown { [self] in try await schedule(every: Int64(interval.components.seconds)) }
    }

    /// Accounts whose guide is due at `now`, given when each was last imported (a pure rule).
    static func due(_ accounts: [(Account, fetchedAt: Int64?)], now: Int64, interval: Int64) -> [Account] {
        accounts.filter { $0.0.enabled && ($0.fetchedAt.map { now - $0 >= interval } ?? true) }.map(\.0)
    }

    private func schedule(every interval: Int64) async throws {
        var attempted: [Int64: Int64] = [:]
        while true {
            let now = Int64(Date().timeIntervalSince1970)
            var known: [(Account, fetchedAt: Int64?)] = []
            for account in try await sync.store.accounts() {
                let fetched = try await sync.store.guideFetchedAt(accountID: account.id!)
                known.append((account, [fetched, attempted[account.id!]].compactMap { $0 }.max()))
            }
            for account in Self.due(known, now: now, interval: interval) {
                try Task.checkCancellation()
                attempted[account.id!] = now
                do {
                    let counts = try await sync.syncGuide(account)
                    logger.info("[live] \(account.name): guide fetched, \(counts.added) programmes")
                } catch let cancellation as CancellationError {
                    throw cancellation
                } catch {
                    logger.warning("[live] \(account.name): guide fetch failed, the one there was is kept: \(error)")
                }
            }
            try await Task.sleep(for: .seconds(60))
        }
    }
}
