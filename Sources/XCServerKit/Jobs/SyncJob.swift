import Foundation
import Sync
import XCModels

/// One sync run as `GET /api/sync/jobs/{id}` and the CLI's progress line show it.
public struct SyncJob: Sendable {
    public enum Phase: String, Sendable, Codable {
        case queued, categories, movies, series, live, guide, episodes, finishing, done, failed, cancelled

        public var isFinal: Bool { self == .done || self == .failed || self == .cancelled }
    }

    /// Who started the job: the admin API, `serve --sync-interval`, or `xcserver sync`.
    public enum Trigger: String, Sendable, Codable {
        case api, schedule, cli
    }

    /// Progress and counters of one kind. `done` of `total`: for lists, items committed of items seen so
    /// far (the provider does not say how many are coming); for episodes, series fetched of series due.
    /// Encoded flat: `done`, `total` and the ``Counters`` fields side by side.
    struct KindProgress: Sendable, Encodable, Equatable {
        var done = 0
        var total = 0
        var counts = Counters()

        init() {}

        init(done: Int, total: Int, counts: SyncCounts) {
            self.done = done
            self.total = total
            self.counts = Counters(counts)
        }

        mutating func add(_ other: KindProgress) {
            done += other.done
            total += other.total
            counts.add(other.counts)
        }

        enum CodingKeys: String, CodingKey {
            case done, total
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(done, forKey: .done)
            try container.encode(total, forKey: .total)
            try counts.encode(to: encoder)
        }
    }

    /// What happened to the items: a `SyncCounts` without its skip reasons and timing, summable.
    struct Counters: Sendable, Encodable, Equatable {
        var added = 0
        var updated = 0
        var unchanged = 0
        var stale = 0
        var skipped = 0

        init() {}

        init(_ counts: SyncCounts) {
            (added, updated, unchanged, stale, skipped) = (counts.added, counts.updated, counts.unchanged, counts.stale, counts.skipped)
        }

        mutating func add(_ other: Counters) {
            (added, updated, unchanged) = (added + other.added, updated + other.updated, unchanged + other.unchanged)
            (stale, skipped) = (stale + other.stale, skipped + other.skipped)
        }
    }

    struct AccountState: Sendable, Encodable {
        var id: Int64
        var name: String
        /// `queued` until its turn, then the step it is in, then `done`, `failed` or `cancelled`.
        var phase: Phase = .queued
        var progress: [String: KindProgress] = [:]
        var error: String?
        var seconds: Double?

        enum CodingKeys: String, CodingKey {
            case id, name, phase, progress, error, seconds
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(phase, forKey: .phase)
            try container.encode(SyncJob.allKinds(progress), forKey: .progress)
            try container.encode(error, forKey: .error)
            try container.encode(seconds, forKey: .seconds)
        }
    }

    struct JobError: Sendable, Encodable {
        /// The account that failed; null (not left out) for a failure of the job itself.
        @Nullable var account: String?
        var message: String
    }

    static let kinds = ["categories", "movies", "series", "live", "guide", "episodes"]

    public var id: Int
    var trigger: Trigger
    var force: Bool
    var prune: Bool
    public var phase: Phase = .queued
    /// The account being synced now.
    var currentAccount: String?
    var accounts: [AccountState]
    var errors: [JobError] = []
    var pruned = 0
    var cancelRequested = false
    var createdAt = Date()
    var startedAt: Date?
    var endedAt: Date?
    /// The engine's report once the job ended (for the CLI's summary).
    var report: SyncReport?
    /// The list call the current account waits on, until its answer starts (CLI only, not in the API).
    public var waiting: Waiting?

    public struct Waiting: Sendable, Equatable {
        var account: String
        var action: String
        public var since: Date
    }

    /// How long a wait goes unmentioned: an answering provider starts well within it.
    public static let quietWait: TimeInterval = 2

    /// How many wait notices `xcserver sync` owes after `elapsed` seconds of waiting: the first after the
    /// quiet period, then one every 15 s.
    public static func waitNotices(elapsed: TimeInterval) -> Int {
        elapsed < quietWait ? 0 : 1 + Int((elapsed - quietWait) / 15)
    }

    /// Every kind, summed over the job's accounts.
    var progress: [String: KindProgress] {
        var sum = Dictionary(uniqueKeysWithValues: Self.kinds.map { ($0, KindProgress()) })
        for account in accounts {
            for (kind, figures) in account.progress { sum[kind, default: KindProgress()].add(figures) }
        }
        return sum
    }

    /// Summed over every kind (categories included) and account.
    var counters: Counters {
        progress.values.reduce(into: Counters()) { total, kind in total.add(kind.counts) }
    }

    /// Wall time so far, or in all once ended.
    var seconds: Double? {
        guard let startedAt else { return nil }
        return (endedAt ?? Date()).timeIntervalSince(startedAt)
    }

    static func allKinds(_ progress: [String: KindProgress]) -> [String: KindProgress] {
        var all = progress
        for kind in kinds where all[kind] == nil { all[kind] = KindProgress() }
        return all
    }

    /// What an ended job prints (`xcserver sync`, `demo`): the engine's report, then failures of the
    /// job itself, which belong to no account.
    public var summaryText: String {
        var lines = report.map { [$0.text] } ?? []
        lines += errors.filter { $0.account == nil }.map { "sync FAILED: \($0.message)" }
        return lines.joined(separator: "\n")
    }

    /// The wait, once it is long enough to mention: `alpha: waiting for get_vod_streams (12 s)`.
    public func waitingText(at now: Date) -> String? {
        guard !phase.isFinal, let waiting, now.timeIntervalSince(waiting.since) >= Self.quietWait else { return nil }
        return "\(waiting.account): waiting for the provider to answer \(waiting.action) (\(Int(now.timeIntervalSince(waiting.since))) s)"
    }

    /// The CLI's one-line view: `alpha: movies 1200/1800 (added 4, updated 2)`, or the wait for a
    /// slow provider's first byte, counting, so a silent panel does not look like a hung sync.
    public func progressLine(at now: Date) -> String {
        if let waiting = waitingText(at: now) { return waiting }
        guard !phase.isFinal, let name = currentAccount, let account = accounts.first(where: { $0.name == name }) else {
            return phase == .finishing ? "finishing" : phase.rawValue
        }
        guard let kind = [Phase.categories, .movies, .series, .live, .guide, .episodes].contains(account.phase) ? account.phase.rawValue : nil,
              let figures = account.progress[kind] else {
            return "\(name): \(account.phase.rawValue)"
        }
        return "\(name): \(kind) \(figures.done)/\(figures.total) (added \(figures.counts.added), updated \(figures.counts.updated), unchanged \(figures.counts.unchanged), skipped \(figures.counts.skipped))"
    }
}

extension SyncJob: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, trigger, force, prune, phase, account, accounts, progress, counters, errors, pruned, seconds
        case cancelRequested, createdAt, startedAt, endedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(force, forKey: .force)
        try container.encode(prune, forKey: .prune)
        try container.encode(phase, forKey: .phase)
        try container.encode(currentAccount, forKey: .account)
        try container.encode(accounts, forKey: .accounts)
        try container.encode(progress, forKey: .progress)
        try container.encode(counters, forKey: .counters)
        try container.encode(errors, forKey: .errors)
        try container.encode(pruned, forKey: .pruned)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(cancelRequested, forKey: .cancelRequested)
        try container.encode(Self.timestamp(createdAt), forKey: .createdAt)
        try container.encode(startedAt.map(Self.timestamp), forKey: .startedAt)
        try container.encode(endedAt.map(Self.timestamp), forKey: .endedAt)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-24T09:01:17.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
