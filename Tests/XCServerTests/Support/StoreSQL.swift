import GRDB
@testable import XCModels

/// Test-only access to the store's database, for tests that check or arrange what no store operation
/// reads or writes (counts of stale rows, a relation made stale by hand). Production code goes through
/// the store's operations; `Store.pool` is internal to XCModels.
extension Store {
    func testRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Runs `body` in a write transaction, then re-chooses what is served (as every store write that
    /// changes relations does).
    func testWrite(_ body: @escaping @Sendable (Database) throws -> Void) async throws {
        try await pool.write { db in
            try body(db)
            try Self.recomputePreferredRelations(db)
        }
    }
}
