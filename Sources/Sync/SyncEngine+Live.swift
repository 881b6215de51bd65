import Foundation
import Logging
import XCModels

extension SyncEngine {
    /// The live steps of one account's sync: its live categories (kept in the provider's order), its
    /// live list (report kind `live`), then, unless `options.guide` is off, its guide (kind `guide`).
    /// A guide that fails is reported and logged but does not fail the account: channels still play,
    /// and the guide there was stays.
    func syncLive(
        _ client: ProviderClient, options: SyncOptions, categories: inout SyncCounts, report: inout AccountSyncReport,
        tracker: SyncProgressTracker
    ) async throws {
        let accountID = client.account.id!
        // The zone catch-up START times are written in for this provider.
        if let zone = try? await client.fetchObject(action: nil)["server_info"]?.object?["timezone"]?.text,
           TimeZone(identifier: zone) != nil {
            try await store.setProviderTimeZone(accountID: accountID, zone)
        }
        tracker.phase(.categories)
        let liveCategories = try await importCategories(client, action: "get_live_categories", kind: .live, counts: &categories, tracker: tracker)
        report.kinds["categories"] = categories
        try await store.setLiveCategoryOrder(accountID: accountID, categoryIDs: liveCategories.order.compactMap { liveCategories.map[$0] })
        try Task.checkCancellation()
        tracker.phase(.live)
        report.kinds["live"] = try await timed {
            try await importChannels(client, categories: liveCategories, options: options, tracker: tracker)
        }
        guard options.guide else { return }
        try Task.checkCancellation()
        // What is served must include this list before the guide is matched to it. Channels only: the
        // titles' part rewrites every film and series, and runs before the episodes or at the end.
        try await store.recomputePreferredChannels()
        tracker.phase(.guide)
        do {
            report.kinds["guide"] = try await timed { try await importGuide(client, tracker: tracker) }
        } catch let error where !(error is CancellationError) && !Task.isCancelled {
            var counts = SyncCounts()
            counts.skip("guide failed: \(error)")
            report.kinds["guide"] = counts
            logger.warning("[sync] \(client.account.name): the guide failed, the one there was is kept: \(error)")
        }
    }

    private func importChannels(
        _ client: ProviderClient, categories: CategoryImport.Result, options: SyncOptions, tracker: SyncProgressTracker
    ) async throws -> SyncCounts {
        let store = store
        var importer = try await ChannelListImport(store: store, accountID: client.account.id!, categories: categories,
                                                   now: Self.now, logger: logger)
        var seen = 0
        var done = 0
        tracker.update("live", done: 0, total: 0, counts: importer.counts)
        tracker.waiting(for: "get_live_streams")
        try await client.streamList(action: "get_live_streams", batchSize: options.batchSize, onAnswer: tracker.answered) { batch in
            try Task.checkCancellation()
            seen += batch.count
            try await importer.importBatch(batch, store: store)
            done += batch.count
            tracker.update("live", done: done, total: seen, counts: importer.counts)
        }
        try Task.checkCancellation()
        try await importer.finish(store: store, force: options.force, maxStaleFraction: options.maxStaleFraction)
        tracker.update("live", done: done, total: seen, counts: importer.counts)
        return importer.counts
    }

    private func importGuide(_ client: ProviderClient, tracker: SyncProgressTracker) async throws -> SyncCounts {
        tracker.waiting(for: "xmltv.php")
        return try await GuideImport.run(client, store: store, now: Self.now, logger: logger) { stored, read, counts in
            tracker.update("guide", done: stored, total: read, counts: counts)
        }
    }

    /// Fetches the guide of `account` alone (the `--epg-interval` schedule), outside a full sync.
    public func syncGuide(_ account: Account) async throws -> SyncCounts {
        let tracker = SyncProgressTracker(account: account.name, emit: { _ in })
        return try await importGuide(client(for: account), tracker: tracker)
    }
}
