/// The connection limit admission counts an account's slots against (docs/slots.md, "Capacity groups").
/// Accounts of one capacity group are one provider login, so they share the smallest `max_connections`
/// among the group's enabled accounts: an admin who lowers one name's limit to what the provider really
/// allows lowers the group's, and a disabled name's stale limit does not count. An account without a
/// group (or whose group has no enabled account) keeps its own limit. Written once, here, and selected by
/// every query that builds slot candidates.
public enum CapacityGroup {
    /// The limit of the account aliased `alias`, as an SQL expression.
    public static func limitSQL(account alias: String = "a") -> String {
        """
        COALESCE((SELECT MIN(g.max_connections) FROM account g \
        WHERE g.capacity_group = \(alias).capacity_group AND g.enabled), \(alias).max_connections)
        """
    }
}
