import Foundation

/// One slot: one viewing in progress (docs/slots.md, "Terms").
///
/// A value, copied into every event of a decision and out of the table at each look-up, so what it holds by
/// reference sits in two immutable boxes: copying a record costs two retains, not one per string and array
/// (the slot bench's decisions spent a fifth of their time copying records before). The fixed part never
/// changes; the route changes only on failover, which replaces its box.
struct SlotRecord: Sendable {
    private final class Fixed: Sendable {
        let key: ViewerKey
        let candidates: [SlotCandidate]
        let createdAt: ContinuousClock.Instant
        let linger: Duration

        init(key: ViewerKey, candidates: [SlotCandidate], createdAt: ContinuousClock.Instant, linger: Duration) {
            self.key = key
            self.candidates = candidates
            self.createdAt = createdAt
            self.linger = linger
        }
    }

    private final class Route: Sendable {
        let candidate: SlotCandidate
        let failedAccounts: [Int64]

        init(candidate: SlotCandidate, failedAccounts: [Int64]) {
            self.candidate = candidate
            self.failedAccounts = failedAccounts
        }
    }

    let id: Int64
    private let fixed: Fixed
    private var route: Route
    var inFlight = 1
    var headDelivered = false
    var lastActivity: ContinuousClock.Instant
    /// When in-flight last dropped to 0: the linger runs from here, not from creation.
    var idleSince: ContinuousClock.Instant?
    var bytes: Int64 = 0

    var key: ViewerKey { fixed.key }
    /// The enabled candidates of the creating request, in admission order: where failover may go.
    var candidates: [SlotCandidate] { fixed.candidates }
    var createdAt: ContinuousClock.Instant { fixed.createdAt }
    /// How long the slot lingers after its last request: the grace period, or the shorter live linger.
    var linger: Duration { fixed.linger }

    /// The relation the viewing fetches from.
    var candidate: SlotCandidate {
        get { route.candidate }
        set { route = Route(candidate: newValue, failedAccounts: route.failedAccounts) }
    }

    /// Accounts that failed this viewing before its head; failover never returns to them.
    var failedAccounts: [Int64] {
        get { route.failedAccounts }
        set { route = Route(candidate: route.candidate, failedAccounts: newValue) }
    }

    init(
        id: Int64, key: ViewerKey, candidate: SlotCandidate, candidates: [SlotCandidate],
        createdAt: ContinuousClock.Instant, linger: Duration = .seconds(10)
    ) {
        self.id = id
        fixed = Fixed(key: key, candidates: candidates, createdAt: createdAt, linger: linger)
        route = Route(candidate: candidate, failedAccounts: [])
        self.lastActivity = createdAt
    }

    /// A slot whose linger deadline has passed is ended for every decision, removed or not.
    func isLive(at now: ContinuousClock.Instant) -> Bool {
        guard inFlight == 0, let idle = idleSince else { return true }
        return now < idle + linger
    }

    /// What the slot costs its account: its own upstream connection, or, for live TV, a share of the one
    /// connection of its channel on that relation (docs/slots.md, "Live channels").
    enum Upstream: Hashable, Sendable {
        case own(Int64)
        case channel(ContentKind, contentID: Int64, relationID: Int64)
    }

    var upstream: Upstream {
        key.kind.isLive ? .channel(key.kind, contentID: key.contentID, relationID: candidate.relationID) : .own(id)
    }

    /// The order zapping takes lingering slots in: idle the longest first, the slot its viewer most surely left.
    static func idleLongestFirst(_ a: SlotRecord, _ b: SlotRecord) -> Bool {
        (a.idleSince ?? a.lastActivity, a.id) < (b.idleSince ?? b.lastActivity, b.id)
    }
}

/// The slots and their indexes, with the bookkeeping that keeps them in step. It decides nothing: the rules live
/// in `SlotStateMachine`, which owns one of these.
///
/// Loads are derived: an account's load is the number of live slots in its list, a user's likewise. There is no
/// counter that could drift away from the slots it counts (the "ghost connections" of counter-based designs).
struct SlotTable: Sendable {
    struct KnownAccount: Sendable, Equatable {
        var name: String
        var maxConnections: Int
        var group: String?
    }

    var nextID: Int64 = 1
    var slots: [Int64: SlotRecord] = [:]
    var byKey: [ViewerKey: Int64] = [:]
    /// Slot ids bound to each account / owned by each user. Loads are the counts of these lists once pruned
    /// of expired slots; the lists are the slots' membership, not counters.
    var byAccount: [Int64: [Int64]] = [:]
    var byUser: [Int64: [Int64]] = [:]
    var backoffUntil: [Int64: ContinuousClock.Instant] = [:]
    /// Every account that has had a slot, with `max_connections` as last seen in a request.
    var knownAccounts: [Int64: KnownAccount] = [:]
    /// User id → `max_connections` last seen.
    var knownUsers: [Int64: Int] = [:]

    func isBackedOff(_ accountID: Int64, now: ContinuousClock.Instant) -> Bool {
        guard let until = backoffUntil[accountID] else { return false }
        return now < until
    }

    /// Lingering slots among `ids` of `user`, idle the longest first; only those from `clientIP` when given
    /// (the same device), from any of the user's devices when nil.
    func lingering(_ ids: [Int64], user: Int64, clientIP: String?) -> [Int64] {
        ids.compactMap { slots[$0] }
            .filter { $0.inFlight == 0 && $0.key.userID == user && (clientIP == nil || $0.key.clientIP == clientIP) }
            .sorted(by: SlotRecord.idleLongestFirst)
            .map(\.id)
    }

    /// What a request of `key` may end to make room among `ids`: lingering slots (the same device's when
    /// `sameDevice`), idle the longest first; then, for a live request, the same device's live viewings of
    /// other channels still in flight. A player zapping closes its old connection only just before (or
    /// after) asking for the new channel, so that viewing is over although its request has not ended yet
    /// (docs/slots.md, "Live channels").
    func zappable(_ ids: [Int64], for key: ViewerKey, sameDevice: Bool) -> [Int64] {
        let idle = lingering(ids, user: key.userID, clientIP: sameDevice ? key.clientIP : nil)
        guard key.kind.isLive else { return idle }
        let watching = ids.compactMap { slots[$0] }
            .filter { $0.inFlight > 0 && $0.key.kind.isLive && $0.key.userID == key.userID && $0.key.clientIP == key.clientIP
                && ($0.key.kind != key.kind || $0.key.contentID != key.contentID) }
            .sorted { $0.lastActivity < $1.lastActivity }
            .map(\.id)
        return idle + watching
    }

    /// Ends the account's expired slots; returns its load: the upstream connections its live slots hold
    /// (each viewing of a film one, all viewings of one live channel on one relation one together).
    mutating func prune(account: Int64, now: ContinuousClock.Instant, events: inout [SlotEvent]) -> Int {
        prune(\.byAccount, account, now: now, events: &events)
        return load(of: byAccount[account] ?? [])
    }

    /// Ends the user's expired slots; returns the user's load (every viewing counts for its own login).
    mutating func prune(user: Int64, now: ContinuousClock.Instant, events: inout [SlotEvent]) -> Int {
        prune(\.byUser, user, now: now, events: &events)
        return byUser[user]?.count ?? 0
    }

    /// The accounts whose slots count against `c`'s limit: its capacity group as last seen, or itself.
    func capacityMembers(_ c: SlotCandidate) -> [Int64] {
        guard let group = c.capacityGroup else { return [c.accountID] }
        let others = knownAccounts.filter { $0.key != c.accountID && $0.value.group == group }.keys.sorted()
        return [c.accountID] + others
    }

    /// The slots that count against `c`'s limit, its expired ones ended first.
    mutating func capacitySlots(_ c: SlotCandidate, now: ContinuousClock.Instant, events: inout [SlotEvent]) -> [Int64] {
        remember(c)
        guard c.capacityGroup != nil else {
            // The common case, without the member list: every admission passes here.
            prune(\.byAccount, c.accountID, now: now, events: &events)
            return byAccount[c.accountID] ?? []
        }
        return capacityMembers(c).flatMap { account -> [Int64] in
            prune(\.byAccount, account, now: now, events: &events)
            return byAccount[account] ?? []
        }
    }

    /// The upstream connections the slots `ids` hold: one per film-like slot, one per distinct channel
    /// upstream among live ones (a set only when there are live slots: this runs in every admission).
    func load(of ids: [Int64]) -> Int {
        var own = 0
        var channels: Set<SlotRecord.Upstream> = []
        for id in ids {
            guard let kind = slots[id]?.key.kind else { continue }
            if kind.isLive { channels.insert(slots[id]!.upstream) } else { own += 1 }
        }
        return own + channels.count
    }

    /// A live slot of the channel `contentID` watched as `kind` (TS or HLS) on one of `relations`, any
    /// login's: a new viewer of the channel in that form shares its upstream.
    func sharedChannel(_ kind: ContentKind, _ contentID: Int64, on relations: Set<Int64>, now: ContinuousClock.Instant) -> SlotRecord? {
        slots.values
            .filter { $0.key.kind == kind && $0.key.contentID == contentID && relations.contains($0.candidate.relationID)
                && $0.isLive(at: now) }
            .min { $0.id < $1.id }
    }

    private mutating func prune(
        _ lists: WritableKeyPath<SlotTable, [Int64: [Int64]]>, _ owner: Int64, now: ContinuousClock.Instant,
        events: inout [SlotEvent]
    ) {
        guard let ids = self[keyPath: lists][owner] else { return }
        var dead: [Int64] = []
        for id in ids where !(slots[id]?.isLive(at: now) ?? false) { dead.append(id) }
        for id in dead {
            if slots[id] == nil {
                Self.unlist(id, from: &self[keyPath: lists], key: owner)  // cannot happen; keeps the count honest
            } else {
                end(id, cause: .expired, at: now, events: &events)
            }
        }
    }

    /// Adds a new slot to every index.
    mutating func insert(_ r: SlotRecord) {
        slots[r.id] = r
        byKey[r.key] = r.id
        byAccount[r.candidate.accountID, default: []].append(r.id)
        byUser[r.key.userID, default: []].append(r.id)
        remember(r.candidate)
    }

    mutating func remember(_ c: SlotCandidate) {
        let known = KnownAccount(name: c.accountName, maxConnections: c.maxConnections, group: c.capacityGroup)
        if knownAccounts[c.accountID] != known { knownAccounts[c.accountID] = known }
    }

    mutating func end(_ id: Int64, cause: SlotEvent.EndCause, at now: ContinuousClock.Instant, events: inout [SlotEvent]) {
        guard let r = slots.removeValue(forKey: id) else { return }
        if byKey[r.key] == id { byKey[r.key] = nil }
        Self.unlist(id, from: &byAccount, key: r.candidate.accountID)
        Self.unlist(id, from: &byUser, key: r.key.userID)
        events.append(.ended(r, cause, at: now))
    }

    mutating func zap(_ id: Int64, for key: ViewerKey, at now: ContinuousClock.Instant, events: inout [SlotEvent]) {
        guard let r = slots[id] else { return }
        events.append(.zapped(r, for: key))
        end(id, cause: .zapped, at: now, events: &events)
    }

    mutating func move(_ id: Int64, fromAccount old: Int64, toAccount new: Int64) {
        Self.unlist(id, from: &byAccount, key: old)
        byAccount[new, default: []].append(id)
    }

    static func unlist(_ id: Int64, from lists: inout [Int64: [Int64]], key: Int64) {
        if let i = lists[key]?.firstIndex(of: id) { lists[key]?.remove(at: i) }
    }
}
