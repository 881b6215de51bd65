import Foundation
import Synchronization

/// The steps of one account's sync, in order.
public enum SyncPhase: String, Sendable, Codable, CaseIterable {
    case categories, movies, series, live, guide, episodes
}

/// What a running sync reports as it goes (``SyncEngine/run(accounts:options:progress:)``).
///
/// Every figure is cumulative for its account and kind, so a consumer can simply keep the last one.
/// For lists, `total` is the number of items seen so far (the provider does not say how many are
/// coming) and `done` the number committed; for episodes, `total` is the number of series to fetch.
public enum SyncProgress: Sendable {
    /// An account's sync entered a phase.
    case phase(account: String, SyncPhase)
    /// Progress of one kind ("categories", "movies", "series", "episodes") of one account.
    case kind(account: String, kind: String, done: Int, total: Int, counts: SyncCounts)
    /// An account's sync ended (done, failed or cancelled), with its report.
    case accountFinished(AccountSyncReport)
    /// Every account is through: preferred relations are recomputed and, when asked, stale titles pruned.
    case finishing
    /// An account asked its provider for a list (`get_vod_streams`…) and waits for the answer to start.
    case waiting(account: String, action: String)
    /// The answer the account waited for started.
    case answered(account: String)
}

/// One account's running figures: reports each change and remembers the counts of a step that is
/// interrupted, so a cancelled sync's report still says what it committed.
final class SyncProgressTracker: Sendable {
    private struct Figures {
        var done = 0
        var total = 0
        var counts = SyncCounts()
    }

    let account: String
    private let emit: @Sendable (SyncProgress) -> Void
    private let figures = Mutex<[String: Figures]>([:])

    init(account: String, emit: @escaping @Sendable (SyncProgress) -> Void) {
        self.account = account
        self.emit = emit
    }

    func phase(_ phase: SyncPhase) {
        emit(.phase(account: account, phase))
    }

    func waiting(for action: String) {
        emit(.waiting(account: account, action: action))
    }

    func answered() {
        emit(.answered(account: account))
    }

    func update(_ kind: String, done: Int, total: Int, counts: SyncCounts) {
        figures.withLock { $0[kind] = Figures(done: done, total: total, counts: counts) }
        emit(.kind(account: account, kind: kind, done: done, total: total, counts: counts))
    }

    /// The counts last reported per kind.
    var counts: [String: SyncCounts] {
        figures.withLock { $0.mapValues(\.counts) }
    }
}
