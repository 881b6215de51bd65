import GRDB

extension Store {
    /// Enables or disables one merged category for one account. A disabled category's titles from that
    /// account stop being served at once (the served relations are re-chosen) and are skipped by the next
    /// sync. Returns false when the account does not carry that category.
    @discardableResult
    public func setCategoryEnabled(accountID: Int64, categoryID: Int64, enabled: Bool) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE account_category SET enabled = ? WHERE account_id = ? AND category_id = ?",
                           arguments: [enabled, accountID, categoryID])
            guard db.changesCount > 0 else { return false }
            try Self.recomputePreferredRelations(db)
            return true
        }
    }

    /// The id of the merged category of `kind` named `name`.
    public func categoryID(kind: CatalogKind, name: String) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM category WHERE kind = ? AND name = ?", arguments: [kind.rawValue, name])
        }
    }
}
