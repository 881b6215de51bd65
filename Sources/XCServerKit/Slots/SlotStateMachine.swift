import Foundation

/// Every slot decision of docs/slots.md as a plain value: time comes in as an argument, and what happened comes
/// back as `SlotEvent`s, so tests drive it step by step with no clock, no lock and no logger.
/// `InProcessSlotCore` is the thin shell that holds one under a lock.
///
/// Expiry is lazy: a slot whose linger deadline has passed counts as ended in every decision and is removed when
/// met. `sweep(now:)` only tidies; correctness never depends on it being called.
struct SlotStateMachine: Sendable {
    struct Policy: Sendable {
        /// How long a slot lingers after its last request ended.
        var grace: Duration
        /// How long after a zapped slot's last request ended its account is treated as still busy: a client
        /// that aborts a read closes its upstream connection asynchronously, and a provider that counts
        /// connections would refuse the new viewing if it arrived first. The new request waits out the rest.
        var settle: Duration
        /// How long an account that refused a viewing is skipped by admission and failover.
        var backoff: Duration
        /// How long a live slot lingers after its last request: short, since a live channel left is rarely
        /// resumed, but long enough for the reconnects players make (docs/slots.md, "Live channels").
        var liveLinger: Duration = .seconds(3)

        func linger(for kind: ContentKind) -> Duration { kind.isLive ? liveLinger : grace }
    }

    /// A request admitted to a slot.
    struct Grant: Sendable, Equatable {
        var slotID: Int64
        var candidate: SlotCandidate
        var reused: Bool
        /// Time the request should wait before opening its upstream (see `Policy.settle`).
        var settleDelay: Duration = .zero
    }

    let policy: Policy
    private(set) var table = SlotTable()

    init(policy: Policy) {
        self.policy = policy
    }

    // MARK: Requests

    /// Reuse, or admission of a new slot (zapping lingering ones if that is what makes room), or a refusal.
    /// Plans first and commits after: nothing is zapped for a request that is refused anyway.
    mutating func admit(_ req: SlotRequest, now: ContinuousClock.Instant) -> (Result<Grant, SlotRefusal>, [SlotEvent]) {
        var events: [SlotEvent] = []
        let result = admit(req, now: now, events: &events)
        return (result, events)
    }

    /// One request of the slot ended; the slot lingers when it was the last one in flight.
    mutating func release(_ id: Int64, now: ContinuousClock.Instant) -> [SlotEvent] {
        // A slot ended while a request was still in flight (a live viewing zapped by the same device's next
        // channel): that request's end is expected and changes nothing.
        guard var r = table.slots[id] else { return [] }
        guard r.inFlight > 0 else {
            return [.violation("release of slot \(id) that has no request in flight")]
        }
        r.inFlight -= 1
        r.lastActivity = now
        var events: [SlotEvent] = []
        if r.inFlight == 0 {
            r.idleSince = now
            events.append(.lingering(r))
        }
        table.slots[id] = r
        return events
    }

    /// A response head of the viewing goes to the client: the viewing is pinned from now on. False when the slot
    /// is gone or no longer on `candidate` (a sibling request moved it).
    mutating func deliverHead(_ id: Int64, candidate: SlotCandidate, now: ContinuousClock.Instant) -> Bool {
        guard var r = table.slots[id], r.candidate.relationID == candidate.relationID,
            r.candidate.accountID == candidate.accountID
        else { return false }
        r.headDelivered = true
        r.lastActivity = now
        table.slots[id] = r
        return true
    }

    mutating func addBytes(_ id: Int64, _ n: Int, now: ContinuousClock.Instant) {
        table.slots[id]?.bytes += Int64(n)
        table.slots[id]?.lastActivity = now
    }

    /// Failover before a head: move the slot to the next candidate with room, backing off a refusing account.
    mutating func relocate(
        _ id: Int64, from: SlotCandidate, reason: FailoverReason, now: ContinuousClock.Instant
    ) -> (Result<SlotCandidate, SlotRefusal>, [SlotEvent]) {
        var events: [SlotEvent] = []
        let result = relocate(id, from: from, reason: reason, now: now, events: &events)
        return (result, events)
    }

    // MARK: Tidying and looking

    /// Ends every slot whose linger is over and forgets finished back-offs.
    mutating func sweep(now: ContinuousClock.Instant) -> [SlotEvent] {
        var events: [SlotEvent] = []
        let expired = table.slots.values.filter { !$0.isLive(at: now) }.map(\.id)
        for id in expired.sorted() { table.end(id, cause: .expired, at: now, events: &events) }
        table.backoffUntil = table.backoffUntil.filter { $0.value > now }
        return events
    }

    /// The user's live slot count, ending their expired slots on the way.
    mutating func userLoad(_ userID: Int64, now: ContinuousClock.Instant) -> (Int, [SlotEvent]) {
        var events: [SlotEvent] = []
        let load = table.prune(user: userID, now: now, events: &events)
        return (load, events)
    }

    /// What `/api/connections` shows; call after `sweep(now:)` so expired slots are gone.
    func snapshot(now: ContinuousClock.Instant) -> SlotSnapshot {
        SlotSnapshot(table, now: now)
    }

    /// Every invariant docs/slots.md promises, checked against the current table.
    func invariantViolations(now: ContinuousClock.Instant) -> [String] {
        table.invariantViolations(now: now)
    }

    // MARK: Admission

    private mutating func admit(
        _ req: SlotRequest, now: ContinuousClock.Instant, events: inout [SlotEvent]
    ) -> Result<Grant, SlotRefusal> {
        let key = req.key

        // Reuse, whether the slot's other requests are in flight or it is lingering.
        if let id = table.byKey[key], var r = table.slots[id] {
            if r.isLive(at: now) {
                r.inFlight += 1
                r.idleSince = nil
                r.lastActivity = now
                table.slots[id] = r
                events.append(.reused(r, isHead: req.isHead))
                return .success(Grant(slotID: id, candidate: r.candidate, reused: true))
            }
            table.end(id, cause: .expired, at: now, events: &events)
        }

        // Admission, the user's limit first. At the limit, the login's own lingering slots give way, whichever of
        // its devices they are on.
        if table.knownUsers[key.userID] != req.userMaxConnections { table.knownUsers[key.userID] = req.userMaxConnections }
        let userLoad = table.prune(user: key.userID, now: now, events: &events)
        let userNeed = max(0, userLoad - req.userMaxConnections + 1)
        var userVictims: [Int64] = []
        if userNeed > 0 {
            userVictims = table.zappable(table.byUser[key.userID] ?? [], for: key, sameDevice: false)
            if userVictims.count < userNeed {
                return refuse(key, .userLimit(max: req.userMaxConnections), isHead: req.isHead, events: &events)
            }
        }

        let ordered = req.orderedCandidates
        if ordered.isEmpty {
            return refuse(key, .noCandidates, isHead: req.isHead, events: &events)
        }

        // A live channel someone already watches: share its upstream, whatever the account's load. Only the
        // login's own limit applies (its lingering slots gave way above).
        if key.kind.isLive,
           let shared = table.sharedChannel(key.kind, key.contentID, on: Set(ordered.map(\.relationID)), now: now),
           let candidate = ordered.first(where: { $0.relationID == shared.candidate.relationID }) {
            return .success(create(
                req, on: candidate, ordered: ordered, zapping: Array(userVictims.prefix(userNeed)), settling: [],
                now: now, events: &events))
        }

        // Account capacity: zap only the same device's lingering slots. Those are the user's too, so they count
        // against the user's need; the rest of it is taken from the login's lingering slots, oldest first.
        if let (chosen, accountVictims) = pick(from: ordered, for: key, now: now, events: &events) {
            let rest = userVictims.lazy.filter { !accountVictims.contains($0) }.prefix(max(0, userNeed - accountVictims.count))
            return .success(create(
                req, on: chosen, ordered: ordered, zapping: accountVictims + rest, settling: accountVictims, now: now,
                events: &events))
        }
        // No account has room even with the same device's lingering slots. At the user's limit the login's oldest
        // lingering slots end anyway, and that may be what frees an account.
        let ending = Array(userVictims.prefix(userNeed))
        guard !ending.isEmpty, let (chosen, accountVictims) = pick(from: ordered, for: key, ending: ending, now: now, events: &events)
        else {
            return refuse(key, .noCapacity(accounts: ordered.map(\.accountName)), isHead: req.isHead, events: &events)
        }
        let settling = accountVictims + ending.filter { table.slots[$0]?.candidate.accountID == chosen.accountID }
        return .success(create(
            req, on: chosen, ordered: ordered, zapping: ending + accountVictims, settling: settling, now: now, events: &events))
    }

    /// Commits an admission: zaps `zapping`, then binds a new slot to `chosen`. The request waits until the
    /// provider connections of `settling` (zapped slots on `chosen`) have surely closed.
    private mutating func create(
        _ req: SlotRequest, on chosen: SlotCandidate, ordered: [SlotCandidate], zapping: [Int64], settling: [Int64],
        now: ContinuousClock.Instant, events: inout [SlotEvent]
    ) -> Grant {
        var settleDelay = Duration.zero
        for v in settling {
            // A victim still in flight (a live viewing its device zapped away from) closes from now.
            let idle = table.slots[v].map { $0.idleSince ?? now } ?? now
            settleDelay = max(settleDelay, idle + policy.settle - now)
        }
        for v in zapping { table.zap(v, for: req.key, at: now, events: &events) }
        let id = table.nextID
        table.nextID += 1
        let r = SlotRecord(id: id, key: req.key, candidate: chosen, candidates: ordered, createdAt: now,
                           linger: policy.linger(for: req.key.kind))
        table.insert(r)
        events.append(.created(r, accountLoad: table.load(of: table.byAccount[chosen.accountID] ?? []), isHead: req.isHead))
        return Grant(slotID: id, candidate: chosen, reused: false, settleDelay: settleDelay)
    }

    /// First candidate (in the given order) with room; failing that, the first that zapping the same device's
    /// lingering slots frees. Slots in `ending` are about to end anyway and count as gone. Returns the candidate
    /// and the slots to zap for it.
    private mutating func pick(
        from ordered: [SlotCandidate], for key: ViewerKey, ending: [Int64] = [], now: ContinuousClock.Instant,
        events: inout [SlotEvent]
    ) -> (SlotCandidate, [Int64])? {
        var usable: [SlotCandidate] = []
        for c in ordered where !table.isBackedOff(c.accountID, now: now) {
            let slots = table.capacitySlots(c, now: now, events: &events)
            let remaining = ending.isEmpty ? slots : slots.filter { !ending.contains($0) }
            if table.load(of: remaining) < c.maxConnections { return (c, []) }
            usable.append(c)
        }
        // Zapping frees an upstream only when no other slot shares it (a live channel someone else still
        // watches stays), so a victim is taken, idle the longest first, only if its going lowers the load.
        for c in usable {
            var remaining = table.capacitySlots(c, now: now, events: &events).filter { !ending.contains($0) }
            var victims: [Int64] = []
            for victim in table.zappable(remaining, for: key, sameDevice: true) {
                let load = table.load(of: remaining)
                guard load >= c.maxConnections else { break }
                let without = remaining.filter { $0 != victim }
                if table.load(of: without) < load {
                    remaining = without
                    victims.append(victim)
                }
            }
            if !victims.isEmpty, table.load(of: remaining) < c.maxConnections { return (c, victims) }
        }
        return nil
    }

    private func refuse(
        _ key: ViewerKey, _ refusal: SlotRefusal, isHead: Bool, events: inout [SlotEvent]
    ) -> Result<Grant, SlotRefusal> {
        events.append(.refused(key, refusal, isHead: isHead))
        return .failure(refusal)
    }

    // MARK: Failover

    private mutating func relocate(
        _ id: Int64, from: SlotCandidate, reason: FailoverReason, now: ContinuousClock.Instant,
        events: inout [SlotEvent]
    ) -> Result<SlotCandidate, SlotRefusal> {
        guard var r = table.slots[id] else { return .failure(.notMovable) }
        guard !r.headDelivered else {
            events.append(.failoverRefused(r, from: from, why: reason, refusal: .notMovable, backedOff: false))
            return .failure(.notMovable)
        }
        let backsOff = reason.isProviderRefusal
        if backsOff { table.backoffUntil[from.accountID] = now + policy.backoff }
        if !r.failedAccounts.contains(from.accountID) { r.failedAccounts.append(from.accountID) }
        table.slots[id] = r

        // A sibling request of this viewing already moved the slot while this one was still trying the old
        // relation: follow it rather than moving again.
        if r.candidate.relationID != from.relationID, !r.failedAccounts.contains(r.candidate.accountID) {
            events.append(.failoverFollowed(r, from: from, why: reason, backedOff: backsOff))
            return .success(r.candidate)
        }

        let current = r.candidate
        let others = r.candidates.filter { !r.failedAccounts.contains($0.accountID) }
        guard !others.isEmpty else {
            events.append(.failoverRefused(r, from: from, why: reason, refusal: .noCandidates, backedOff: backsOff))
            return .failure(.noCandidates)
        }
        guard let (next, victims) = pick(from: others, for: r.key, now: now, events: &events) else {
            let refusal = SlotRefusal.noCapacity(accounts: others.map(\.accountName))
            events.append(.failoverRefused(r, from: from, why: reason, refusal: refusal, backedOff: backsOff))
            return .failure(refusal)
        }
        for v in victims { table.zap(v, for: r.key, at: now, events: &events) }
        table.move(id, fromAccount: current.accountID, toAccount: next.accountID)
        r.candidate = next
        r.lastActivity = now
        table.slots[id] = r
        table.remember(next)
        events.append(.failover(r, from: from, to: next, why: reason, backedOff: backsOff))
        return .success(next)
    }
}

/// The live channel's upstream moving to another relation while its viewers stay connected
/// (docs/live-streaming.md, "Reconnect and failover").
///
/// A film viewing is pinned once its head went out, because another account's copy is another file. A live
/// channel is a broadcast: the same channel from another account is what the viewer wants, so after the
/// upstream was lost every slot sharing it moves together to the next relation with room, and the account
/// load follows the one connection that is really open.
extension SlotStateMachine {
    /// Moves every live slot of `channel` to the next relation of the channel (admission order, accounts
    /// that failed this channel skipped) whose account has room for one more upstream. Provider refusals back
    /// the old account off, as for films.
    mutating func moveChannel(
        _ channel: SlotRecord.Upstream, from: SlotCandidate, reason: FailoverReason, now: ContinuousClock.Instant
    ) -> (Result<SlotCandidate, SlotRefusal>, [SlotEvent]) {
        var events: [SlotEvent] = []
        let sharing = table.slots.values.filter { $0.upstream == channel && $0.isLive(at: now) }.sorted { $0.id < $1.id }
        guard let first = sharing.first else { return (.failure(.noCandidates), events) }
        if reason.isProviderRefusal { table.backoffUntil[from.accountID] = now + policy.backoff }
        let failed = Set(sharing.flatMap(\.failedAccounts) + [from.accountID])
        let others = first.candidates.filter { !failed.contains($0.accountID) }
        guard !others.isEmpty else {
            events.append(.failoverRefused(first, from: from, why: reason, refusal: .noCandidates, backedOff: reason.isProviderRefusal))
            return (.failure(.noCandidates), events)
        }
        guard let (next, victims) = pick(from: others, for: first.key, now: now, events: &events) else {
            let refusal = SlotRefusal.noCapacity(accounts: others.map(\.accountName))
            events.append(.failoverRefused(first, from: from, why: reason, refusal: refusal, backedOff: reason.isProviderRefusal))
            return (.failure(refusal), events)
        }
        for v in victims { table.zap(v, for: first.key, at: now, events: &events) }
        for var r in sharing {
            table.move(r.id, fromAccount: r.candidate.accountID, toAccount: next.accountID)
            if !r.failedAccounts.contains(from.accountID) { r.failedAccounts.append(from.accountID) }
            r.candidate = next
            r.lastActivity = now
            table.slots[r.id] = r
            events.append(.failover(r, from: from, to: next, why: reason, backedOff: reason.isProviderRefusal))
        }
        table.remember(next)
        return (.success(next), events)
    }

    /// The channel upstreams of live slots ended in `events` that no remaining slot shares: their
    /// connection is to close (forced when the slot was zapped: its request may still be reading).
    func unsharedChannelEnds(in events: [SlotEvent], now: ContinuousClock.Instant) -> [(ChannelEnds.Channel, zapped: Bool)] {
        var ends: [(ChannelEnds.Channel, zapped: Bool)] = []
        for case .ended(let record, let cause, _) in events where record.key.kind.isLive {
            let upstream = record.upstream
            guard !table.slots.values.contains(where: { $0.upstream == upstream && $0.isLive(at: now) }) else { continue }
            ends.append((ChannelEnds.Channel(contentID: record.key.contentID, relationID: record.candidate.relationID,
                                             hls: record.key.kind == .hls), cause == .zapped))
        }
        return ends
    }
}
