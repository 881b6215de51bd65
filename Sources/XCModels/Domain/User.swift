import Foundation
import GRDB

/// A household member's login, typed into TiviMate or iPlayTV as the Xtream account.
public struct User: IdentifiedRecord, Sendable, Equatable {
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
    /// How this login sees a title's variants (`VariantView`): the stored columns, already validated.
    public var variants: VariantView.Mode = .all
    /// Quality classes as `VariantKey.Quality` raw values, most preferred first.
    public var qualities: [String] = []
    public var languages: [String] = []
    public var maxQuality: String?
    /// Leaves out live channels (and categories) the provider marks `is_adult`, for a child's login.
    public var hideAdult: Bool = false

    /// The login's variant view, read from its columns.
    public var variantView: VariantView {
        get {
            VariantView(mode: variants, qualities: qualities.compactMap(VariantKey.Quality.init(rawValue:)), languages: languages,
                        maxQuality: maxQuality.flatMap(VariantKey.Quality.init(rawValue:)))
        }
        set {
            variants = newValue.mode
            qualities = newValue.qualities.map(\.rawValue)
            languages = newValue.languages
            maxQuality = newValue.maxQuality?.rawValue
        }
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

    public func isActive(now: Int64 = Int64(Date().timeIntervalSince1970)) -> Bool {
        enabled && (expiresAt.map { $0 > now } ?? true)
    }

    public func validate() throws(InvalidField) {
        if username.isEmpty { throw .init(field: "username", message: "must not be empty") }
        if password.isEmpty { throw .init(field: "password", message: "must not be empty") }
        if maxConnections < 1 { throw .init(field: "max_connections", message: "must be at least 1") }
    }
}
