import Foundation
import Sync

/// What `GET /api/connections` shows. Keys are snake_case like the rest of the admin API.
public struct SlotSnapshot: Sendable, Codable, Equatable {
    public struct Slot: Sendable, Codable, Equatable {
        public var id: Int64
        public var viewer: ViewerKey
        public var accountID: Int64
        public var accountName: String
        public var relationID: Int64
        public var inFlight: Int
        public var lingering: Bool
        public var headDelivered: Bool
        public var ageSeconds: Double
        public var idleSeconds: Double
        public var bytesSent: Int64

        enum CodingKeys: String, CodingKey {
            case id, viewer
            case accountID = "account_id"
            case accountName = "account_name"
            case relationID = "relation_id"
            case inFlight = "in_flight"
            case lingering
            case headDelivered = "head_delivered"
            case ageSeconds = "age_seconds"
            case idleSeconds = "idle_seconds"
            case bytesSent = "bytes_sent"
        }
    }

    /// Every account that has or had a slot since start; `maxConnections` is the value last seen in a request.
    public struct Account: Sendable, Codable, Equatable {
        public var id: Int64
        public var name: String
        public var load: Int
        public var maxConnections: Int
        /// Seconds left of a back-off after a provider refusal; nil when admission may use the account.
        public var backoffSeconds: Double?
        /// The capacity group last seen in a request (docs/slots.md, "Capacity groups"); nil: the account alone.
        public var group: String?

        enum CodingKeys: String, CodingKey {
            case id, name, load, group
            case maxConnections = "max_connections"
            case backoffSeconds = "backoff_seconds"
        }
    }

    /// Every user that has or had a slot since start.
    public struct User: Sendable, Codable, Equatable {
        public var id: Int64
        public var load: Int
        public var maxConnections: Int

        enum CodingKeys: String, CodingKey {
            case id, load
            case maxConnections = "max_connections"
        }
    }

    public var slots: [Slot]
    public var accounts: [Account]
    public var users: [User]

    public init(slots: [Slot], accounts: [Account], users: [User]) {
        self.slots = slots
        self.accounts = accounts
        self.users = users
    }

    public func account(_ id: Int64) -> Account? { accounts.first { $0.id == id } }

    /// The load admission counts against `candidate`'s limit: its account's, or every account's of its
    /// capacity group (their upstreams are distinct, so the loads add up).
    public func capacityLoad(of candidate: SlotCandidate) -> Int {
        guard let group = candidate.capacityGroup else { return account(candidate.accountID)?.load ?? 0 }
        return accounts.filter { $0.id == candidate.accountID || $0.group == group }.reduce(0) { $0 + $1.load }
    }
    public func user(_ id: Int64) -> User? { users.first { $0.id == id } }
}

extension SlotSnapshot {
    /// The table as `/api/connections` shows it at `now`. Accounts and users that ever had a slot stay listed
    /// with load 0, so an operator sees the whole household, not only who is watching.
    init(_ table: SlotTable, now: ContinuousClock.Instant) {
        let slots = table.slots.values.sorted { $0.id < $1.id }.map { r in
            Slot(
                id: r.id, viewer: r.key, accountID: r.candidate.accountID, accountName: r.candidate.accountName,
                relationID: r.candidate.relationID, inFlight: r.inFlight, lingering: r.inFlight == 0,
                headDelivered: r.headDelivered, ageSeconds: r.createdAt.duration(to: now).inSeconds,
                idleSeconds: (r.idleSince ?? r.lastActivity).duration(to: now).inSeconds, bytesSent: r.bytes)
        }
        let accounts = table.knownAccounts.sorted { $0.key < $1.key }.map { id, info in
            Account(
                id: id, name: info.name, load: table.load(of: table.byAccount[id] ?? []), maxConnections: info.maxConnections,
                backoffSeconds: table.backoffUntil[id].flatMap { $0 > now ? now.duration(to: $0).inSeconds : nil },
                group: info.group)
        }
        let users = table.knownUsers.sorted { $0.key < $1.key }.map { id, max in
            User(id: id, load: table.byUser[id]?.count ?? 0, maxConnections: max)
        }
        self.init(slots: slots, accounts: accounts, users: users)
    }
}
