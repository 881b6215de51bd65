import Foundation
import XCModels

/// What one sync step did to one account's catalog of one kind.
public struct SyncCounts: Codable, Sendable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var stale = 0
    public var skipped = 0
    /// Why items were skipped, e.g. "missing stream_id": 2.
    public var skipReasons: [String: Int] = [:]
    /// Wall time of the step, download included.
    public var seconds: Double = 0

    public init() {}

    public mutating func skip(_ reason: String) {
        skipped += 1
        skipReasons[reason, default: 0] += 1
    }

    public mutating func add(_ other: SyncCounts) {
        added += other.added
        updated += other.updated
        unchanged += other.unchanged
        stale += other.stale
        skipped += other.skipped
        skipReasons.merge(other.skipReasons, uniquingKeysWith: +)
        seconds += other.seconds
    }

    enum CodingKeys: String, CodingKey {
        case added, updated, unchanged, stale, skipped
        case seconds
        case skipReasons = "skip_reasons"
    }
}

/// One account's part of a sync run.
public struct AccountSyncReport: Codable, Sendable {
    public var account: String
    /// Keyed by "categories", "movies", "series", "episodes".
    public var kinds: [String: SyncCounts] = [:]
    /// Set when the account's sync failed; what was imported before the failure is kept.
    public var error: String?
    /// Set when the sync was cancelled during this account; what was committed before is kept.
    public var cancelled = false
    public var seconds: Double = 0

    public init(account: String) {
        self.account = account
    }
}

public struct SyncReport: Codable, Sendable {
    public var accounts: [AccountSyncReport] = []
    public var pruned = 0
    public var seconds: Double = 0
    /// The run was cancelled: accounts after the interrupted one were not synced, and nothing was pruned.
    public var cancelled = false

    public init() {}

    public var failed: Bool { accounts.contains { $0.error != nil } }

    /// The report as the CLI prints it: one line per account and kind.
    public var text: String {
        var lines: [String] = []
        for account in accounts {
            for kind in ["categories", "movies", "series", "episodes"] {
                guard let c = account.kinds[kind] else { continue }
                var line = String(format: "%@ %@ (%.2f s): ", account.account, kind, c.seconds) + "added \(c.added), updated \(c.updated), unchanged \(c.unchanged), stale \(c.stale), skipped \(c.skipped)"
                if !c.skipReasons.isEmpty {
                    line += " (" + c.skipReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
                }
                lines.append(line)
            }
            if let error = account.error { lines.append("\(account.account) FAILED: \(error)") }
            if account.cancelled { lines.append("\(account.account) CANCELLED: what was committed is kept") }
            lines.append(String(format: "%@ took %.2f s", account.account, account.seconds))
        }
        if pruned > 0 { lines.append("pruned \(pruned) stale relations") }
        if cancelled { lines.append("sync cancelled") }
        lines.append(String(format: "sync took %.2f s", seconds))
        return lines.joined(separator: "\n")
    }
}

/// Why a sync step refused to finish, for the report.
public enum SyncFailure: Error, Sendable, CustomStringConvertible {
    case staleGuard(kind: String, wouldStale: Int, live: Int)

    public var description: String {
        switch self {
        case .staleGuard(let kind, let wouldStale, let live):
            return "refusing to mark \(wouldStale) of \(live) \(kind) stale in one run (the provider answered a much smaller list than last time, usually a transient fault); run again later, or with --force if the provider really dropped them"
        }
    }
}
