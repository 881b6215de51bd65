import Foundation
import GRDB

/// An upstream XC provider subscription that xcserver reads catalogs from and proxies streams through.
public struct Account: IdentifiedRecord, Sendable, Equatable {
    public static let databaseTableName = "account"

    public var id: Int64?
    public var name: String
    /// Base URL of the panel, possibly with a sub-path (`http://host:port/some/path`); kept as given.
    public var baseURL: String
    public var username: String
    public var password: String
    /// How many streams the provider allows at once; the slot core never exceeds it.
    public var maxConnections: Int
    /// Higher is preferred: its stream ids are the ones handed to clients, and its copy is streamed first.
    public var priority: Int
    public var enabled: Bool
    /// Sent upstream instead of the client's own User-Agent when set (some panels allow only certain players).
    public var userAgent: String?
    public var createdAt: Int64
    /// Whether the provider counts open sockets (docs/sockets.md); detection may turn `tolerant` into `strict`.
    public var socketLimit: SocketLimit
    /// Accounts with the same group are one provider login (two DNS names of one provider, or one login
    /// entered twice) and share one connection limit, the smallest `maxConnections` of the group's enabled
    /// accounts (docs/slots.md, "Capacity groups"). Nil: the account alone. Never empty (see `normalizedGroup`).
    public var capacityGroup: String?

    public init(
        id: Int64? = nil, name: String, baseURL: String, username: String, password: String,
        maxConnections: Int = 1, priority: Int = 0, enabled: Bool = true, userAgent: String? = nil,
        createdAt: Int64 = Int64(Date().timeIntervalSince1970), socketLimit: SocketLimit = .default,
        capacityGroup: String? = nil
    ) {
        self.socketLimit = socketLimit
        self.capacityGroup = Account.normalizedGroup(capacityGroup)
        self.id = id
        self.name = name
        self.baseURL = Account.normalizedBaseURL(baseURL)
        self.username = username
        self.password = password
        self.maxConnections = maxConnections
        self.priority = priority
        self.enabled = enabled
        self.userAgent = userAgent
        self.createdAt = createdAt
    }

    /// Users paste panel URLs in many forms (`http://h:8080/`, `http://h:8080/player_api.php`); keep the
    /// sub-path a panel may live under but drop what xcserver appends itself.
    public static func normalizedBaseURL(_ raw: String) -> String {
        var url = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        for suffix in ["/player_api.php", "/get.php"] where url.hasSuffix(suffix) {
            url.removeLast(suffix.count)
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// A group name as typed, trimmed; blank means no group, so `--group ""` and `"group": ""` clear it.
    /// Names match exactly otherwise (`Home` and `home` are two groups).
    public static func normalizedGroup(_ raw: String?) -> String? {
        guard let name = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else { return nil }
        return name
    }

    /// Checks a user can act on, before anything is written.
    public func validate() throws(InvalidField) {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw .init(field: "name", message: "must not be empty") }
        guard let components = URLComponents(string: baseURL), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw .init(field: "url", message: "must be an http:// or https:// URL with a host, got '\(baseURL)'") }
        if username.isEmpty { throw .init(field: "username", message: "must not be empty") }
        if maxConnections < 1 { throw .init(field: "max_connections", message: "must be at least 1") }
    }
}

/// Invalid input, naming the field so a user (or the admin API) can say what to fix.
public struct InvalidField: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}
