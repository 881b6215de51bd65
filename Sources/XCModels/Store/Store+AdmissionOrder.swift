/// The admission order (docs/slots.md, "Admission"): an account with a higher priority comes first, then
/// the older account (lower id). Written once, here, in both forms it is used in: as SQL for the
/// store's queries (the served relation, stream candidates, admin listings) and as a Swift comparison
/// for the slot core, which orders the candidates it is given (`SlotCandidate.admissionOrder`).
public enum AdmissionOrder {
    /// `ORDER BY` terms for an `account` table aliased `alias` (callers append their own tie-breaks).
    public static func sql(account alias: String = "a") -> String { "\(alias).priority DESC, \(alias).id" }

    /// Whether an account with `priority`/`accountID` is admitted before one with `otherPriority`/`otherID`;
    /// nil when it is the same account (the caller breaks the tie). Same rule as `sql`.
    public static func precedes(priority: Int, accountID: Int64, otherPriority: Int, otherID: Int64) -> Bool? {
        if priority != otherPriority { return priority > otherPriority }
        if accountID != otherID { return accountID < otherID }
        return nil
    }
}
