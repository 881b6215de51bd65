import Foundation
import GRDB

/// A household member's login, typed into TiviMate or iPlayTV as the Xtream account.
public struct User: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "user"

    public var id: Int64?
    public var username: String
    public var password: String
    /// Simultaneous viewings (slots) this user may hold, whatever the accounts behind them allow.
    public var maxConnections: Int
    public var enabled: Bool
    /// Unix time after which the login stops working; nil for never.
    public var expiresAt: Int64?
    public var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, username, password, enabled
        case maxConnections = "max_connections"
        case expiresAt = "expires_at"
        case createdAt = "created_at"
    }

    public init(
        id: Int64? = nil, username: String, password: String, maxConnections: Int = 1, enabled: Bool = true,
        expiresAt: Int64? = nil, createdAt: Int64 = Int64(Date().timeIntervalSince1970)
    ) {
        self.id = id
        self.username = username
        self.password = password
        self.maxConnections = maxConnections
        self.enabled = enabled
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    public func isActive(now: Int64 = Int64(Date().timeIntervalSince1970)) -> Bool {
        enabled && (expiresAt.map { $0 > now } ?? true)
    }

    public func validate() throws(InvalidField) {
        if username.isEmpty { throw .init(field: "username", message: "must not be empty") }
        if password.isEmpty { throw .init(field: "password", message: "must not be empty") }
        if maxConnections < 1 { throw .init(field: "max_connections", message: "must be at least 1") }
    }
}
