import Foundation
import Logging
import Sync

/// Turns slot events into log lines: one line per event, `[slots]` prefix, what an operator reads to see why a
/// viewer was refused or moved. Creations, ends, zaps, refusals and failovers at info; reuse and linger, which
/// happen on every seek, at debug.
struct SlotEventLog: Sendable {
    let logger: Logger
    /// For wording only: how long a refusing account is skipped.
    let backoff: Duration

    func log(_ events: [SlotEvent]) {
        // Above info only violations make a line: skip formatting the rest (every acquire and release passes here).
        let quiet = logger.logLevel > .info
        for event in events where !quiet || event.isViolation { log(event) }
    }

    func log(_ event: SlotEvent) {
        switch event {
        case .created(let r, let load, let isHead):
            logger.info(
                "[slots] created slot \(r.id) for \(r.key)\(head(isHead)) on \(r.candidate.logName), account load \(load)/\(r.candidate.maxConnections)"
            )
        case .reused(let r, let isHead):
            logger.debug(
                "[slots] reused slot \(r.id) for \(r.key)\(head(isHead)) on \(r.candidate.logName), \(r.inFlight) in flight")
        case .lingering(let r):
            logger.debug("[slots] lingering slot \(r.id) for \(r.key) on \(r.candidate.logName) for \(r.linger.inSeconds)s")
        case .ended(let r, let cause, let seenAt):
            // An expired slot ended at its deadline, not when it was noticed.
            let at = cause == .expired ? min(seenAt, (r.idleSince ?? seenAt) + r.linger) : seenAt
            logger.info(
                "[slots] ended slot \(r.id) for \(r.key) on \(r.candidate.logName) after \(String(format: "%.1f", r.createdAt.duration(to: at).inSeconds))s, \(r.bytes) bytes sent: \(cause.rawValue)"
            )
        case .zapped(let r, let newKey):
            logger.info(
                "[slots] zapped lingering slot \(r.id) for \(r.key) on \(r.candidate.logName) to admit \(newKey.kind.rawValue) \(newKey.contentID)\(newKey.clientIP == r.key.clientIP ? "" : " from \(newKey.clientIP)")"
            )
        case .refused(let key, let refusal, let isHead):
            logger.info("[slots] refused \(key)\(head(isHead)): \(refusal.logCause)")
        case .failover(let r, let from, let to, let why, let backedOff):
            logger.info(
                "[slots] failover from \(from.logName) to \(to.logName): \(why) (slot \(r.id), \(r.key))\(backOff(from, backedOff))")
        case .failoverFollowed(let r, let from, let why, let backedOff):
            logger.info(
                "[slots] failover from \(from.logName) to \(r.candidate.logName): \(why) (slot \(r.id), \(r.key), already moved by another request)\(backOff(from, backedOff))"
            )
        case .failoverRefused(let r, let from, let why, let refusal, let backedOff):
            logger.info(
                "[slots] failover from \(from.logName) refused: \(why), \(refusal.logCause) (slot \(r.id), \(r.key))\(backOff(from, backedOff))"
            )
        case .violation(let text):
            logger.error("[slots] invariant violated: \(text)")
        }
    }

    private func head(_ isHead: Bool) -> String { isHead ? " (HEAD)" : "" }

    private func backOff(_ account: SlotCandidate, _ backedOff: Bool) -> String {
        backedOff ? "; \(account.accountName) backed off for \(backoff.inSeconds)s" : ""
    }
}

extension SlotCandidate {
    var logName: String { "'\(accountName)' (account \(accountID), relation \(relationID))" }
}

extension SlotRefusal {
    var logCause: String {
        switch self {
        case .userLimit(let max): "user at max_connections \(max)"
        case .noCapacity(let accounts): "no account with room (\(accounts.joined(separator: ", ")))"
        case .noCandidates: "no enabled account holds the title"
        case .notMovable: "a head was already delivered, the viewing is pinned"
        }
    }
}
