import GRDB

extension Store {
    public func user(id: Int64) async throws -> User? {
        try await pool.read { db in try User.fetchOne(db, key: id) }
    }

    public func user(named username: String) async throws -> User? {
        try await pool.read { db in try User.filter(Column("username") == username).fetchOne(db) }
    }

    /// Every user's allow-list, keyed by user id (users without one are absent).
    public func allowedCategoriesByUser() async throws -> [Int64: [Int64]] {
        try await pool.read { db in
            var lists: [Int64: [Int64]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT user_id, category_id FROM user_category ORDER BY user_id, category_id") {
                lists[row["user_id"], default: []].append(row["category_id"])
            }
            return lists
        }
    }

    /// Adds a user and, when given, its category allow-list, in one transaction: nothing is written
    /// when the user is invalid, the username is taken or a category id is unknown.
    @discardableResult
    public func addUser(_ user: User, allowedCategories: [Int64]?) async throws -> User {
        do { try user.validate() } catch { throw StoreError.invalid(error) }
        return try await pool.write { db in
            if try User.filter(Column("username") == user.username).fetchCount(db) > 0 {
                throw StoreError.duplicate(field: "username", value: user.username)
            }
            if let allowedCategories { try Self.checkCategories(db, allowedCategories) }
            var inserted = user
            try inserted.insert(db)
            if let allowedCategories { try Self.replaceAllowedCategories(db, userID: inserted.id!, allowedCategories) }
            return inserted
        }
    }

    /// Saves an edited user and, when given, replaces its allow-list (an empty list lifts it), in one
    /// transaction with the same checks as `addUser`.
    public func updateUser(_ user: User, allowedCategories: [Int64]?) async throws {
        do { try user.validate() } catch { throw StoreError.invalid(error) }
        try await pool.write { db in
            guard let id = user.id, try User.exists(db, key: id) else {
                throw StoreError.notFound(what: "user", key: user.id.map(String.init) ?? "")
            }
            if try User.filter(Column("username") == user.username && Column("id") != id).fetchCount(db) > 0 {
                throw StoreError.duplicate(field: "username", value: user.username)
            }
            if let allowedCategories { try Self.checkCategories(db, allowedCategories) }
            try user.update(db)
            if let allowedCategories { try Self.replaceAllowedCategories(db, userID: id, allowedCategories) }
        }
    }

    /// Deletes a user (its allow-list goes with it). Returns false when there is no such user.
    @discardableResult
    public func deleteUser(id: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM user_category WHERE user_id = ?", arguments: [id])
            return try User.deleteOne(db, key: id)
        }
    }

    /// Allow-lists name merged movie or series categories; anything else is refused, naming the id.
    private static func checkCategories(_ db: Database, _ ids: [Int64]) throws {
        let known = Set(try Int64.fetchAll(db, sql: "SELECT id FROM category WHERE kind IN ('movie', 'series')"))
        if let unknown = ids.first(where: { !known.contains($0) }) {
            throw StoreError.invalid(InvalidField(field: "allowed_categories", message: "no movie or series category with id \(unknown)"))
        }
    }

    private static func replaceAllowedCategories(_ db: Database, userID: Int64, _ ids: [Int64]) throws {
        try db.execute(sql: "DELETE FROM user_category WHERE user_id = ?", arguments: [userID])
        for id in Set(ids) {
            try db.execute(sql: "INSERT INTO user_category (user_id, category_id) VALUES (?, ?)", arguments: [userID, id])
        }
    }
}
