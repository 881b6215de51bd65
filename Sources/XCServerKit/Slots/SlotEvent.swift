import Foundation

/// What happened in one decision of `SlotStateMachine`, in order. The machine only returns these; the shell
/// hands them to `SlotEventLog` outside its lock, so logging never lengthens a critical section.
enum SlotEvent: Sendable {
    enum EndCause: String, Sendable {
        case expired = "grace period over"
        case zapped = "zapped"
    }

    case created(SlotRecord, accountLoad: Int, isHead: Bool)
    case reused(SlotRecord, isHead: Bool)
    case lingering(SlotRecord)
    case ended(SlotRecord, EndCause, at: ContinuousClock.Instant)
    case zapped(SlotRecord, for: ViewerKey)
    case refused(ViewerKey, SlotRefusal, isHead: Bool)
    case failover(SlotRecord, from: SlotCandidate, to: SlotCandidate, why: FailoverReason, backedOff: Bool)
    case failoverFollowed(SlotRecord, from: SlotCandidate, why: FailoverReason, backedOff: Bool)
    case failoverRefused(SlotRecord, from: SlotCandidate, why: FailoverReason, refusal: SlotRefusal, backedOff: Bool)
    case violation(String)

    var isEnd: Bool {
        if case .ended = self { true } else { false }
    }

    var isViolation: Bool {
        if case .violation = self { true } else { false }
    }
}
