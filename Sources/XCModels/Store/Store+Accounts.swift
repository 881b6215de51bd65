import GRDB

/// Errors a user can act on when changing accounts and users.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(InvalidField)
    case duplicate(field: String, value: String)
    case notFound(what: String, key: String)

    public var description: String {
        switch self {
        case .invalid(let error): return "invalid \(error.field): \(error.message)"
        case .duplicate(let field, let value): return "\(field) '\(value)' is already taken"
        case .notFound(let what, let key): return "no \(what) '\(key)'"
        }
    }
}

extension Store {
    @discardableResult
    public func addAccount(_ account: Account) async throws -> Account {
        do { try account.validate() } catch { throw StoreError.invalid(error) }
        return try await insert(account, unique: "name", account.name)
    }

    /// Inserts `record` unless a row already holds `value` in the unique column `column` (checked and
    /// inserted in one write, so two requests cannot both pass the check).
    private func insert<Record: MutablePersistableRecord & Sendable>(_ record: Record, unique column: String, _ value: String) async throws -> Record {
        try await pool.write { db in
            if try Record.filter(Column(column) == value).fetchCount(db) > 0 {
                throw StoreError.duplicate(field: column, value: value)
            }
            var inserted = record
            try inserted.insert(db)
            return inserted
        }
    }

    /// All accounts, highest priority first: the order stream admission tries them in.
    public func accounts() async throws -> [Account] {
        try await pool.read { db in try Account.fetchAll(db, sql: "SELECT * FROM account a ORDER BY \(AdmissionOrder.sql())") }
    }

    public func account(named name: String) async throws -> Account? {
        try await pool.read { db in try Account.filter(Column("name") == name).fetchOne(db) }
    }

    public func account(id: Int64) async throws -> Account? {
        try await pool.read { db in try Account.fetchOne(db, key: id) }
    }

    /// Saves an edited account and re-chooses which relation every title shows, since priority and
    /// `enabled` decide that.
    public func updateAccount(_ account: Account) async throws {
        do { try account.validate() } catch { throw StoreError.invalid(error) }
        try await pool.write { db in
            if try Account.filter(Column("name") == account.name && Column("id") != account.id).fetchCount(db) > 0 {
                throw StoreError.duplicate(field: "name", value: account.name)
            }
            try account.update(db)
            try Self.recomputePreferredRelations(db)
        }
    }

    @discardableResult
    public func addUser(_ user: User) async throws -> User {
        do { try user.validate() } catch { throw StoreError.invalid(error) }
        return try await insert(user, unique: "username", user.username)
    }

    public func users() async throws -> [User] {
        try await pool.read { db in try User.order(Column("id")).fetchAll(db) }
    }

    /// The user for these credentials when the login may be used now (enabled, not expired), with the
    /// categories it may see. One read for both: every catalog and stream request starts here, and each
    /// database round trip is a thread hop that costs more than the tiny allow-list query itself.
    public func authenticate(username: String, password: String) async throws -> Login? {
        try await pool.read { db in
            guard let user = try User.filter(Column("username") == username).fetchOne(db),
                  user.password == password, user.isActive() else { return nil }
            return Login(user: user, allowedCategories: try Self.allowedCategories(db, userID: user.id!))
        }
    }
}

/// A user who passed `authenticate`, and what of the catalog it may see.
public struct Login: Sendable {
    public var user: User
    /// nil: no allow-list (every category).
    public var allowedCategories: [Int64]?
}

extension Store {
    /// The categories a user may see, or nil when the user has no allow-list (sees everything).
    public func allowedCategories(userID: Int64) async throws -> [Int64]? {
        try await pool.read { db in try Self.allowedCategories(db, userID: userID) }
    }

    static func allowedCategories(_ db: Database, userID: Int64) throws -> [Int64]? {
        let ids = try Int64.fetchAll(db, sql: "SELECT category_id FROM user_category WHERE user_id = ? ORDER BY category_id", arguments: [userID])
        return ids.isEmpty ? nil : ids
    }

    /// Replaces a user's allow-list; an empty list lifts it.
    public func setAllowedCategories(userID: Int64, _ categoryIDs: [Int64]) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM user_category WHERE user_id = ?", arguments: [userID])
            for id in Set(categoryIDs) {
                try db.execute(sql: "INSERT INTO user_category (user_id, category_id) VALUES (?, ?)", arguments: [userID, id])
            }
        }
    }
}
