import AsyncHTTPClient
import Foundation
import Logging
import XCModels

public struct SyncOptions: Sendable {
    /// Mark stale even when the stale guard would refuse (the provider really dropped that much).
    public var force = false
    /// Delete stale relations, and titles left without any, after the run.
    public var prune = false
    /// Fetch episodes (`get_series_info`) of new and changed series.
    public var episodes = true
    /// Fetch each account's guide (`xmltv.php`) after its live list.
    public var guide = true
    /// The stale guard: refuse to stale more than this fraction of an account's live titles of a kind.
    public var maxStaleFraction = 0.5
    public var batchSize = 2000

    public init(force: Bool = false, prune: Bool = false, episodes: Bool = true) {
        self.force = force
        self.prune = prune
        self.episodes = episodes
    }
}

public enum SyncEngineError: Error, Sendable, CustomStringConvertible {
    case unknownAccount(String)
    case unknownSeries(Int64)

    public var description: String {
        switch self {
        case .unknownAccount(let name): return "no account named '\(name)' (see `xcserver account list`)"
        case .unknownSeries(let id): return "no series relation \(id)"
        }
    }
}

/// Imports provider catalogs into the store: categories, movies, series, then episodes.
///
/// Accounts sync one after another, highest priority first, so that a title present in several
/// accounts is first created from (and keeps the public id of) the preferred account. A failing
/// account is reported and skipped; what it imported before failing stays.
public final class SyncEngine: Sendable {
    public let store: Store
    public let http: HTTPClient
    public let gates: ProviderGates
    /// How long a catalog list may take to start answering (`sync --timeout`; `http`'s read timeout
    /// should be the same, so a provider gone silent later is given as long).
    public let listTimeout: Duration
    let logger: Logger

    public init(store: Store, http: HTTPClient, gates: ProviderGates, listTimeout: Duration = ProviderClient.defaultReadTimeout,
                logger: Logger = Logger(label: "xcserver.sync")) {
        self.store = store
        self.http = http
        self.gates = gates
        self.listTimeout = listTimeout
        self.logger = logger
    }

    public func client(for account: Account) -> ProviderClient {
        var client = ProviderClient(account: account, http: http, gate: gates.gate(for: account.id!))
        client.listTimeout = listTimeout
        return client
    }

    /// The client for a lazy fetch a client may be waiting on: one object request may take at most
    /// `timeout` (a provider that hangs counts as failed instead of holding the fetch for minutes).
    public func client(for account: Account, timeout: Duration) -> ProviderClient {
        var client = client(for: account)
        let (seconds, attoseconds) = timeout.components
        client.objectTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return client
    }

    public func run(accountName: String? = nil, options: SyncOptions = SyncOptions()) async throws -> SyncReport {
        var accounts = try await store.accounts().filter(\.enabled)
        if let accountName {
            accounts = accounts.filter { $0.name == accountName }
            if accounts.isEmpty { throw SyncEngineError.unknownAccount(accountName) }
        }
        return try await run(accounts: accounts, options: options)
    }

    /// Syncs these accounts one after another, in the order given (highest priority first is what
    /// `run(accountName:options:)` uses), reporting each step to `progress`.
    ///
    /// When the calling task is cancelled the sync stops between batches: what was committed stays,
    /// the interrupted list is not finished (nothing is marked stale from half a list), preferred
    /// relations are still recomputed, no prune runs, and the report comes back with `cancelled` set.
    public func run(
        accounts: [Account], options: SyncOptions, progress: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws -> SyncReport {
        let started = ContinuousClock.now
        let emit: @Sendable (SyncProgress) -> Void = progress ?? { _ in }
        var report = SyncReport()
        let store = store
        for account in accounts {
            if Task.isCancelled {
                report.cancelled = true
                break
            }
            let accountReport = await sync(account, options: options, progress: emit)
            report.accounts.append(accountReport)
            emit(.accountFinished(accountReport))
            if accountReport.cancelled {
                report.cancelled = true
                break
            }
        }
        emit(.finishing)
        // Shielded from cancellation: the batches a cancelled run committed must be served consistently.
        try await Task { try await store.recomputePreferredRelations() }.value
        if options.prune && !report.cancelled { report.pruned = try await prune() }
        report.seconds = started.duration(to: .now).inSeconds
        return report
    }

    private func sync(_ account: Account, options: SyncOptions, progress: @escaping @Sendable (SyncProgress) -> Void) async -> AccountSyncReport {
        let started = ContinuousClock.now
        var report = AccountSyncReport(account: account.name)
        let client = client(for: account)
        let tracker = SyncProgressTracker(account: account.name, emit: progress)
        logger.info("[sync] \(account.name): started")
        do {
            var categories = SyncCounts()
            // The film and series lists insert into the title indexes in the provider's order: the writer
            // gets a bigger page cache for them only (docs/list-sync.md), never for the guide, whose
            // import is held to a memory bound. An optimization: a failure to grow it is no failure.
            try? await store.growWriterCache()
            var listsFailure: (any Error)?
            do {
                for list in [TitleList.movies, .series] {
                    tracker.phase(.categories)
                    let listCategories = try await importCategories(client, action: list.categoriesAction, kind: list.categoryKind,
                                                                    counts: &categories, tracker: tracker)
                    report.kinds["categories"] = categories
                    try Task.checkCancellation()
                    tracker.phase(list.phase)
                    report.kinds[list.reportKey] = try await timed {
                        try await importList(list, client, categories: listCategories, options: options, tracker: tracker)
                    }
                    try Task.checkCancellation()
                }
            } catch {
                listsFailure = error
            }
            // Shielded from cancellation: a cancelled sync gives the cache back too.
            await Task { [store] in try? await store.restoreWriterCache() }.value
            if let listsFailure { throw listsFailure }
            try await syncLive(client, options: options, categories: &categories, report: &report, tracker: tracker)
            if options.episodes {
                try Task.checkCancellation()
                // Episodes can take minutes: the account's films and series are served before they start
                // (without episodes, the end of the sync is moments away and serves them once).
                try await store.recomputePreferredRelations()
                tracker.phase(.episodes)
                report.kinds["episodes"] = try await timed { try await importEpisodes(client, tracker: tracker) }
            }
        } catch {
            if Task.isCancelled || error is CancellationError {
                report.cancelled = true
                // The interrupted step's committed part, as last reported.
                for (kind, counts) in tracker.counts where report.kinds[kind] == nil { report.kinds[kind] = counts }
                logger.notice("[sync] \(account.name): cancelled; what was committed is kept")
            } else {
                report.error = String(describing: error)
                logger.error("[sync] \(account.name): \(report.error!)")
            }
        }
        report.seconds = started.duration(to: .now).inSeconds
        let outcome = report.cancelled ? "stopped after" : report.error == nil ? "done in" : "failed after"
        logger.info("[sync] \(account.name): \(outcome) \(String(format: "%.2f", report.seconds)) s")
        return report
    }

    func timed(_ step: () async throws -> SyncCounts) async throws -> SyncCounts {
        let started = ContinuousClock.now
        var counts = try await step()
        counts.seconds = started.duration(to: .now).inSeconds
        return counts
    }

    func importCategories(
        _ client: ProviderClient, action: String, kind: CatalogKind, counts: inout SyncCounts, tracker: SyncProgressTracker
    ) async throws -> CategoryImport.Result {
        let started = ContinuousClock.now
        var raws: [[UInt8]] = []
        tracker.waiting(for: action)
        try await client.streamList(action: action, onAnswer: tracker.answered) { raws += $0 }
        let items = raws
        let accountID = client.account.id!
        let now = Self.now
        var result = try await CategoryImport.run(items, kind: kind, accountID: accountID, now: now, store: store)
        result.counts.seconds = started.duration(to: .now).inSeconds
        counts.add(result.counts)
        let processed = counts.added + counts.updated + counts.unchanged + counts.skipped
        tracker.update("categories", done: processed, total: processed, counts: counts)
        return result
    }

    private func importList(
        _ list: TitleList, _ client: ProviderClient, categories: CategoryImport.Result, options: SyncOptions, tracker: SyncProgressTracker
    ) async throws -> SyncCounts {
        let action = list.listAction
        let accountID = client.account.id!
        let now = Self.now
        let logger = logger
        var importer = try await TitleListImport(
            list, store: store, accountID: accountID, categories: categories.map, disabledCategories: categories.disabled,
            now: now, logger: logger)
        let kind = list.reportKey
        var seen = 0
        var done = 0
        tracker.update(kind, done: 0, total: 0, counts: importer.counts)
        // Each batch commits on its own: a list cut off half-way keeps what arrived; staleness waits for
        // the end. A cancelled sync stops here, between batches.
        tracker.waiting(for: action)
        let count = try await client.streamList(action: action, batchSize: options.batchSize, onAnswer: tracker.answered) { batch in
            try Task.checkCancellation()
            seen += batch.count
            tracker.update(kind, done: done, total: seen, counts: importer.counts)
            try await importer.importBatch(batch, store: store)
            done += batch.count
            tracker.update(kind, done: done, total: seen, counts: importer.counts)
        }
        try Task.checkCancellation()
        logger.debug("[sync] \(client.account.name): \(action) listed \(count) items")
        try await importer.finish(store: store, force: options.force, maxStaleFraction: options.maxStaleFraction)
        tracker.update(kind, done: done, total: seen, counts: importer.counts)
        return importer.counts
    }

    /// Series whose episodes were never fetched, or whose `last_modified` changed since.
    private func importEpisodes(_ client: ProviderClient, tracker: SyncProgressTracker) async throws -> SyncCounts {
        let accountID = client.account.id!
        let due = try await store.seriesRelationsDue(accountID: accountID)
        var counts = SyncCounts()
        var failures = 0
        var fetched = 0
        tracker.update("episodes", done: 0, total: due.count, counts: counts)
        try await withThrowingTaskGroup(of: Result<SyncCounts, any Error>.self) { group in
            var pending = due[...]
            func startNext() {
                guard let series = pending.popFirst() else { return }
                group.addTask {
                    do { return .success(try await self.fetchEpisodes(series, client: client, urgent: false)) } catch { return .failure(error) }
                }
            }
            for _ in 0..<client.gate.maxConcurrent { startNext() }
            while let result = try await group.next() {
                switch result {
                case .success(let done): counts.add(done)
                case .failure(let error):
                    // A cancelled sync's fetches in flight fail with it: that is no provider failure.
                    try Task.checkCancellation()
                    failures += 1
                    counts.skip("get_series_info failed")
                    logger.warning("[sync] \(client.account.name): episodes of a series failed: \(error)")
                }
                fetched += 1
                tracker.update("episodes", done: fetched, total: due.count, counts: counts)
                try Task.checkCancellation()
                startNext()
            }
        }
        if !due.isEmpty && failures == due.count {
            throw ProviderError.everyCallFailed(action: "get_series_info", count: failures)
        }
        return counts
    }

    /// Fetches and imports one series' episodes. `urgent` when a client is waiting for them; `proceed`:
    /// see `ProviderGate.run`.
    public func fetchEpisodes(
        _ series: SeriesToFetch, client: ProviderClient, urgent: Bool, proceed: @Sendable () -> Bool = { true }
    ) async throws -> SyncCounts {
        let info = try await client.fetchObject(action: "get_series_info", parameters: [("series_id", String(series.providerSeriesID))],
                                                urgent: urgent, proceed: proceed)
        let now = Self.now
        let logger = logger
        return try await EpisodeImport.run(info, series: series, now: now, store: store, logger: logger)
    }

    /// The series relations of a title whose episodes were never fetched (for on-demand fetching when a
    /// client opens the series before the sync got to it), preferred account first.
    public func unfetchedRelations(ofSeries seriesID: Int64) async throws -> [(Account, SeriesToFetch)] {
        try await store.unfetchedSeriesRelations(seriesID: seriesID)
    }

    /// Deletes stale relations (stale for at least `olderThan` seconds when given) and the titles and
    /// episodes left without any relation. Returns the number of relations deleted.
    public func prune(staleFor seconds: Int64 = 0) async throws -> Int {
        try await store.pruneStale(since: Self.now - seconds)
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }
}

extension Duration {
    /// The duration as a `Double` of seconds, for reports.
    public var inSeconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
