import Foundation
import GRDB

extension Store {
    public func setting(_ key: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    /// The admin token kept in the database, created on first use: `serve` without `--admin-token`
    /// still has a working admin API, and the token survives restarts. `created` tells the caller to
    /// show it (it is printed once, when made).
    public func adminToken() async throws -> (token: String, created: Bool) {
        if let token = try await setting("admin_token") { return (token, false) }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        try await setSetting("admin_token", token)
        return (token, true)
    }
}
