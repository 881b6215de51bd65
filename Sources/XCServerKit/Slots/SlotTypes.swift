import Foundation
import XCModels

/// What a stream path asks for. Part of the viewer key, so a movie and an episode that share a numeric id
/// are never mistaken for one viewing.
public enum ContentKind: String, Sendable, Codable {
    case movie, episode, live
    /// A live channel watched as HLS (playlists and segments fetched through xcserver): its viewers share
    /// one upstream like `live`, but not the TS one, which is another provider connection.
    case hls
    /// A catch-up recording of a live channel (content id: the channel): a bounded file like a film, so each
    /// viewing holds its own upstream connection, unlike `live`, whose viewers share one.
    case catchUp = "catchup"

    /// A live channel, as TS or as HLS: viewers share the channel's upstream, the slot lingers briefly.
    var isLive: Bool { self == .live || self == .hls }
}

/// One viewing = (xcserver user, client IP, kind, content id).
///
/// A player opens several HTTP requests for one title (probe, index read, playback, seeks); they all carry the
/// same key and so share one slot, which is what lets a one-connection account serve them all.
/// `clientIP` must be the socket's peer address, or `X-Forwarded-For` only when the peer is a trusted proxy:
/// a key a client can forge would let it join (and be pinned to) someone else's viewing.
public struct ViewerKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public var userID: Int64
    public var clientIP: String
    public var kind: ContentKind
    public var contentID: Int64

    public init(userID: Int64, clientIP: String, kind: ContentKind, contentID: Int64) {
        self.userID = userID
        self.clientIP = clientIP
        self.kind = kind
        self.contentID = contentID
    }

    enum CodingKeys: String, CodingKey {
        case userID = "user_id"
        case clientIP = "client_ip"
        case kind
        case contentID = "content_id"
    }

    public var description: String { "user \(userID) @ \(clientIP) \(kind.rawValue) \(contentID)" }
}

/// An account that holds a copy of the title (one provider relation). The caller (the stream route) builds these
/// from the store for each request.
///
/// Built per request rather than cached in the core so that an admin's change of priority, `max_connections` or
/// `enabled` takes effect on the next admission without the core knowing about the store.
public struct SlotCandidate: Sendable, Equatable, Hashable {
    public var accountID: Int64
    public var accountName: String
    /// The provider relation (the account's copy of this title). A viewing is pinned to it, not just to the account.
    public var relationID: Int64
    public var priority: Int
    public var maxConnections: Int
    public var enabled: Bool
    /// Accounts that are one provider login (two DNS names of one provider) share one connection limit:
    /// admission counts every slot of the group against `maxConnections` (docs/slots.md, "Capacity groups").
    /// Nil: the account alone.
    public var capacityGroup: String?
    /// The login's preference for this copy's variant, lower first (docs/variants.md, "Per-login view");
    /// 0 for all copies of one entry, so only admission order decides between them.
    public var variantRank: Int

    public init(
        accountID: Int64, accountName: String, relationID: Int64,
        priority: Int = 0, maxConnections: Int = 1, enabled: Bool = true, capacityGroup: String? = nil,
        variantRank: Int = 0
    ) {
        self.capacityGroup = capacityGroup
        self.variantRank = variantRank
        self.accountID = accountID
        self.accountName = accountName
        self.relationID = relationID
        self.priority = priority
        self.maxConnections = maxConnections
        self.enabled = enabled
    }

    /// Admission order (docs/slots.md, "Admission"): the preferred variant first (a `best` login), then
    /// the store's one rule (`AdmissionOrder`, the same the store's queries sort by), then relation id
    /// only so that two relations of one account to the same title still get a deterministic order.
    static func admissionOrder(_ a: SlotCandidate, _ b: SlotCandidate) -> Bool {
        if a.variantRank != b.variantRank { return a.variantRank < b.variantRank }
        return AdmissionOrder.precedes(priority: a.priority, accountID: a.accountID, otherPriority: b.priority, otherID: b.accountID)
            ?? (a.relationID < b.relationID)
    }
}

public struct SlotRequest: Sendable {
    public var key: ViewerKey
    /// The xcserver user's `max_connections`, passed per request for the same reason candidates are.
    public var userMaxConnections: Int
    public var candidates: [SlotCandidate]
    /// Only used for logging: HEAD requests follow exactly the same rules as GET (docs/slots.md, "HEAD").
    public var isHead: Bool

    public init(key: ViewerKey, userMaxConnections: Int, candidates: [SlotCandidate], isHead: Bool = false) {
        self.key = key
        self.userMaxConnections = userMaxConnections
        self.candidates = candidates
        self.isHead = isHead
    }
}

extension SlotRequest {
    /// The enabled candidates in admission order. The stream routes pass them already so (the store sorts by
    /// the same rule), and then this is the request's own array, with nothing copied or sorted per admission.
    var orderedCandidates: [SlotCandidate] {
        let inOrder = candidates.allSatisfy(\.enabled)
            && zip(candidates, candidates.dropFirst()).allSatisfy { !SlotCandidate.admissionOrder($1, $0) }
        return inOrder ? candidates : candidates.filter(\.enabled).sorted(by: SlotCandidate.admissionOrder)
    }
}

/// Why a request gets no slot (or a slot cannot move). Each case maps to a status the route sends with `message`
/// as a short text body, so the viewer learns what to do instead of staring at a spinner.
public enum SlotRefusal: Error, Sendable, Equatable {
    /// The xcserver user already has `max` viewings running (none of them a zappable lingering one).
    case userLimit(max: Int)
    /// Every enabled account holding the title is full or backed off. Names are the accounts considered,
    /// in admission order.
    case noCapacity(accounts: [String])
    /// No enabled account holds the title (or, from `failover`, no other enabled account does).
    case noCandidates
    /// Failover asked after a head was delivered: another account's copy is usually a different file, so moving
    /// would splice foreign bytes into what the player already started decoding.
    case notMovable

    public var message: String {
        switch self {
        case .userLimit(let max):
            let streams = max == 1 ? "1 stream" : "\(max) streams"
            return "Connection limit reached: you may watch \(streams) at a time. Stop another stream and try again."
        case .noCapacity(let accounts):
            let names = accounts.isEmpty ? "" : " (\(accounts.joined(separator: ", ")))"
            return "All provider connections for this title are in use\(names). Try again when another stream ends."
        case .noCandidates:
            return "No enabled provider account can stream this title right now."
        case .notMovable:
            return "The provider stopped this stream after it started and it cannot be moved to another provider. Start it again."
        }
    }

    /// User limit 403 (the viewer can stop another stream), everything about provider capacity 503 (it frees by
    /// itself). `notMovable` is an upstream failure the client cannot fix by itself, hence 502.
    public var httpStatus: Int {
        switch self {
        case .userLimit: 403
        case .noCapacity, .noCandidates: 503
        case .notMovable: 502
        }
    }
}

/// How an upstream request failed before delivering a head.
public enum FailoverReason: Sendable, Equatable, CustomStringConvertible {
    case connectError
    case timeout
    /// The upstream's HTTP status (5xx, or one of `providerRefusalStatuses`).
    case status(Int)

    /// Provider answers that mean "this account will not serve you now": the stream path tries the next account
    /// and the slot core backs the account off. Other failures (5xx, timeouts, connect errors) may be specific to
    /// one file or one moment, so they move the slot without marking the account.
    public static let providerRefusalStatuses: Set<Int> = [401, 403, 404, 429, 458, 509]

    /// True for a provider refusal, the failures that put the account in a back-off.
    var isProviderRefusal: Bool {
        if case .status(let code) = self { Self.providerRefusalStatuses.contains(code) } else { false }
    }

    /// What a provider that counts sockets answers a socket past its limit (docs/sockets.md, detection):
    /// 458, 403, 429, 509 or a closed connection.
    var isSocketRefusal: Bool {
        switch self {
        case .connectError: true
        case .status(let code): [403, 429, 458, 509].contains(code)
        case .timeout: false
        }
    }

    public var description: String {
        switch self {
        case .connectError: "connect error"
        case .timeout: "timeout"
        case .status(let code): "HTTP \(code)"
        }
    }
}
