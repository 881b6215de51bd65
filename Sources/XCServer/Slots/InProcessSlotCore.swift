import Foundation
import Logging
import Synchronization

/// The default `SlotCore`: every slot of this process in one `Mutex`.
///
/// Why these choices:
/// - One lock, no actor: a proxied stream reports bytes per chunk, and an actor hop per chunk would cost more than
///   the bookkeeping. Every critical section is a few dictionary operations plus a scan of one account's (or one
///   user's) slot list, which is bounded by its `max_connections` plus expired slots not yet removed.
/// - Loads are derived: an account's load is the number of live slots in its list, a user's likewise. There is no
///   counter that could drift away from the slots it counts (the "ghost connections" of counter-based designs).
/// - Expiry is lazy: a slot whose linger deadline has passed counts as ended in every decision and is removed when
///   met. `sweep()` (called periodically by the server, and by `snapshot()`) only tidies and logs; correctness never
///   depends on a timer firing.
/// - Nothing is persisted: after a restart every account is empty, which is the truth.
///
/// HEAD requests follow the same rules as GET: they create or reuse a slot and the route releases their lease
/// when the HEAD response ends (rule 7). A slot a HEAD created, or that is left with only a finished HEAD, then
/// lingers for the grace period like any other slot. Decision: TiviMate and other players often send HEAD and then
/// GET for the same title; if the HEAD's slot ended at once, the GET could find the one-connection account taken
/// by someone else in between, or be admitted on a different account than the one whose headers the player just
/// read. Lingering costs at most one grace period of capacity, and zapping frees it at once for the same viewer.
/// A HEAD response is a delivered head: the route calls `headDelivered()` for it too, which pins the viewing.
///
/// Reuse looks only at the viewer key, not at the request's candidates: the viewing stays pinned to its relation
/// (rule 6) even if an admin disabled that account or changed priorities meanwhile; such changes apply to new
/// viewings. Admission plans first and commits after: lingering slots are zapped only when the new viewing is then
/// admitted, never for a request that is refused anyway.
///
/// Zapping is a last resort: admission first looks, in priority order, for an account with room; only when none
/// has room does it end the oldest lingering slots of the same user and client IP on the first account that this
/// frees. "Oldest" means idle the longest (earliest end of its last request), the slot the viewer most surely left.
/// Lingering slots are preserved when a free account exists, so a viewer who returns to the previous title within
/// the grace period still reuses it.
public final class InProcessSlotCore: SlotCore, SlotLeaseBackend {
    /// Provider answers that mean "this account will not serve you now". Other failures (5xx, timeouts, connect
    /// errors) may be specific to one file or one moment, so they move the slot without marking the account.
    public static let defaultBackoffStatuses: Set<Int> = [401, 403, 404, 458, 509]

    public let grace: Duration
    /// How long after a zapped slot's last request ended its account is treated as still busy: a client
    /// that aborts a read closes its upstream connection asynchronously, and a provider that counts
    /// connections would refuse the new viewing if it arrived first. The new request waits out the rest.
    public let settle: Duration
    public let backoff: Duration
    public let backoffStatuses: Set<Int>

    private let clock: any SlotClock
    private let logger: Logger
    private let verifiesInvariants: Bool
    private let state = Mutex(State())

    public convenience init(
        grace: Duration = .seconds(10),
        settle: Duration = .milliseconds(300),
        backoff: Duration = .seconds(30),
        backoffStatuses: Set<Int> = InProcessSlotCore.defaultBackoffStatuses,
        clock: any SlotClock = SystemSlotClock(),
        logger: Logger = Logger(label: "xcserver.slots")
    ) {
        self.init(
            grace: grace, settle: settle, backoff: backoff, backoffStatuses: backoffStatuses, clock: clock, logger: logger,
            verifiesInvariants: false)
    }

    /// `verifiesInvariants` re-checks every capacity and consistency invariant inside the lock after each
    /// mutation and records violations (see `invariantViolations()`); tests use it to check "at every instant".
    init(
        grace: Duration, settle: Duration = .zero, backoff: Duration, backoffStatuses: Set<Int>, clock: any SlotClock, logger: Logger,
        verifiesInvariants: Bool
    ) {
        self.grace = grace
        self.settle = settle
        self.backoff = backoff
        self.backoffStatuses = backoffStatuses
        self.clock = clock
        self.logger = logger
        self.verifiesInvariants = verifiesInvariants
    }

    // MARK: SlotCore

    public func acquire(_ request: SlotRequest) async throws(SlotRefusal) -> SlotLease {
        let lease = try acquireNow(request)
        if lease.settleDelay > .zero { try? await Task.sleep(for: lease.settleDelay) }
        return lease
    }

    /// `acquire` without the async entry, for callers already on a synchronous path (and the benchmark).
    public func acquireNow(_ request: SlotRequest) throws(SlotRefusal) -> SlotLease {
        var events: [Event] = []
        let outcome = state.withLock { st in
            let now = clock.now()
            let o = admit(request, now: now, st: &st, events: &events)
            check(&st, now: now, events: &events)
            return o
        }
        emit(events)
        switch outcome {
        case .admitted(let id, let candidate, let reused, let settleDelay):
            return SlotLease(
                slotID: id, candidate: candidate, reused: reused, key: request.key, isHead: request.isHead,
                settleDelay: settleDelay, backend: self)
        case .refused(let refusal):
            throw refusal
        }
    }

    public func snapshot() async -> SlotSnapshot {
        snapshotNow()
    }

    public func snapshotNow() -> SlotSnapshot {
        var events: [Event] = []
        let snap = state.withLock { st in
            let now = clock.now()
            sweepLocked(&st, now: now, events: &events)
            return build(st, now: now)
        }
        emit(events)
        return snap
    }

    public func userLoad(_ userID: Int64) async -> Int {
        var events: [Event] = []
        let load = state.withLock { st in st.prune(user: userID, now: clock.now(), grace: grace, events: &events) }
        emit(events)
        return load
    }

    /// Removes slots whose linger is over and logs their end. Returns how many ended.
    @discardableResult
    public func sweep() -> Int {
        var events: [Event] = []
        state.withLock { st in sweepLocked(&st, now: clock.now(), events: &events) }
        emit(events)
        return events.filter { if case .ended = $0 { true } else { false } }.count
    }

    // MARK: SlotLeaseBackend

    func leaseReleased(slotID: Int64) {
        var events: [Event] = []
        state.withLock { st in
            let now = clock.now()
            if var r = st.slots[slotID], r.inFlight > 0 {
                r.inFlight -= 1
                r.lastActivity = now
                if r.inFlight == 0 {
                    r.idleSince = now
                    events.append(.lingering(r))
                }
                st.slots[slotID] = r
            } else {
                events.append(.violation("release of slot \(slotID) that has no request in flight"))
            }
            check(&st, now: now, events: &events)
        }
        emit(events)
    }

    func leaseHeadDelivered(slotID: Int64, candidate: SlotCandidate) -> Bool {
        state.withLock { st in
            let now = clock.now()
            guard var r = st.slots[slotID], r.candidate.relationID == candidate.relationID,
                r.candidate.accountID == candidate.accountID
            else { return false }
            r.headDelivered = true
            r.lastActivity = now
            st.slots[slotID] = r
            return true
        }
    }

    func leaseAddBytes(slotID: Int64, _ n: Int) {
        state.withLock { st in
            let now = clock.now()
            st.slots[slotID]?.bytes += Int64(n)
            st.slots[slotID]?.lastActivity = now
        }
    }

    func leaseFailover(slotID: Int64, from: SlotCandidate, reason: FailoverReason) throws(SlotRefusal) -> SlotCandidate {
        var events: [Event] = []
        let result = state.withLock { st in
            let now = clock.now()
            let r = relocate(slotID, from: from, reason: reason, now: now, st: &st, events: &events)
            check(&st, now: now, events: &events)
            return r
        }
        emit(events)
        return try result.get()
    }

    // MARK: Test support

    /// Violations recorded by a core made with `verifiesInvariants: true`, plus a check of the current state.
    func invariantViolations() -> [String] {
        state.withLock { st in st.violations + st.verify(now: clock.now(), grace: grace) }
    }

    // MARK: Decisions (all run inside the lock)

    private enum Admission {
        case admitted(id: Int64, candidate: SlotCandidate, reused: Bool, settle: Duration = .zero)
        case refused(SlotRefusal)
    }

    private func admit(_ req: SlotRequest, now: ContinuousClock.Instant, st: inout State, events: inout [Event]) -> Admission {
        let key = req.key

        // Rule 1: reuse, whether the slot's other requests are in flight or it is lingering.
        if let id = st.byKey[key], var r = st.slots[id] {
            if r.isLive(at: now, grace: grace) {
                r.inFlight += 1
                r.idleSince = nil
                r.lastActivity = now
                st.slots[id] = r
                events.append(.reused(r, isHead: req.isHead))
                return .admitted(id: id, candidate: r.candidate, reused: true)
            }
            st.end(id, cause: .expired, at: now, events: &events)
        }

        // Rule 2: admission, user limit first.
        st.knownUsers[key.userID] = req.userMaxConnections
        let userLoad = st.prune(user: key.userID, now: now, grace: grace, events: &events)
        let userNeed = max(0, userLoad - req.userMaxConnections + 1)
        var userVictims: [Int64] = []
        if userNeed > 0 {
            userVictims = st.lingering(st.byUser[key.userID] ?? [], sameViewerAs: key)
            if userVictims.count < userNeed {
                return refuse(key, .userLimit(max: req.userMaxConnections), isHead: req.isHead, events: &events)
            }
        }

        let ordered = req.candidates.filter(\.enabled).sorted(by: SlotCandidate.admissionOrder)
        if ordered.isEmpty {
            return refuse(key, .noCandidates, isHead: req.isHead, events: &events)
        }

        guard let (chosen, accountVictims) = pick(from: ordered, for: key, now: now, st: &st, events: &events) else {
            return refuse(key, .noCapacity(accounts: ordered.map(\.accountName)), isHead: req.isHead, events: &events)
        }

        // Rule 4: zapping. Account victims are the same user's, so they count against the user's need too.
        var settleDelay = Duration.zero
        for v in accountVictims {
            if let idle = st.slots[v]?.idleSince { settleDelay = max(settleDelay, idle + settle - now) }
            st.zap(v, for: key, at: now, events: &events)
        }
        let stillNeeded = userNeed - accountVictims.count
        if stillNeeded > 0 {
            for v in userVictims.lazy.filter({ !accountVictims.contains($0) }).prefix(stillNeeded) {
                st.zap(v, for: key, at: now, events: &events)
            }
        }

        let id = st.nextID
        st.nextID += 1
        let r = Record(
            id: id, key: key, candidate: chosen, candidates: ordered, createdAt: now)
        st.slots[id] = r
        st.byKey[key] = id
        st.byAccount[chosen.accountID, default: []].append(id)
        st.byUser[key.userID, default: []].append(id)
        st.knownAccounts[chosen.accountID] = KnownAccount(name: chosen.accountName, maxConnections: chosen.maxConnections)
        events.append(.created(r, accountLoad: st.byAccount[chosen.accountID]?.count ?? 0, isHead: req.isHead))
        return .admitted(id: id, candidate: chosen, reused: false, settle: settleDelay)
    }

    /// First candidate (in the given order) with room; failing that, the first that zapping the same viewer's
    /// lingering slots frees. Returns the candidate and the slots to zap.
    private func pick(
        from ordered: [SlotCandidate], for key: ViewerKey, excludingAccounts excluded: [Int64] = [],
        now: ContinuousClock.Instant, st: inout State, events: inout [Event]
    ) -> (SlotCandidate, [Int64])? {
        var usable: [SlotCandidate] = []
        for c in ordered where !excluded.contains(c.accountID) && !st.isBackedOff(c.accountID, now: now) {
            if st.prune(account: c.accountID, now: now, grace: grace, events: &events) < c.maxConnections {
                return (c, [])
            }
            usable.append(c)
        }
        for c in usable {
            let ids = st.byAccount[c.accountID] ?? []
            let need = ids.count - c.maxConnections + 1
            let victims = st.lingering(ids, sameViewerAs: key)
            if need > 0, victims.count >= need { return (c, Array(victims.prefix(need))) }
        }
        return nil
    }

    private func refuse(_ key: ViewerKey, _ refusal: SlotRefusal, isHead: Bool, events: inout [Event]) -> Admission {
        events.append(.refused(key, refusal, isHead: isHead))
        return .refused(refusal)
    }

    /// Rule 6, before a head: move the slot to the next candidate with room.
    private func relocate(
        _ id: Int64, from: SlotCandidate, reason: FailoverReason, now: ContinuousClock.Instant,
        st: inout State, events: inout [Event]
    ) -> Result<SlotCandidate, SlotRefusal> {
        guard var r = st.slots[id] else { return .failure(.notMovable) }
        guard !r.headDelivered else {
            events.append(.failoverRefused(r, from: from, why: reason, refusal: .notMovable, backedOff: false))
            return .failure(.notMovable)
        }
        let backsOff: Bool
        if case .status(let code) = reason, backoffStatuses.contains(code) {
            st.backoffUntil[from.accountID] = now + backoff
            backsOff = true
        } else {
            backsOff = false
        }
        if !r.failedAccounts.contains(from.accountID) { r.failedAccounts.append(from.accountID) }
        st.slots[id] = r

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
        guard let (next, victims) = pick(from: others, for: r.key, now: now, st: &st, events: &events) else {
            let refusal = SlotRefusal.noCapacity(accounts: others.map(\.accountName))
            events.append(.failoverRefused(r, from: from, why: reason, refusal: refusal, backedOff: backsOff))
            return .failure(refusal)
        }
        for v in victims { st.zap(v, for: r.key, at: now, events: &events) }
        st.move(id, fromAccount: current.accountID, toAccount: next.accountID)
        r.candidate = next
        r.lastActivity = now
        st.slots[id] = r
        st.knownAccounts[next.accountID] = KnownAccount(name: next.accountName, maxConnections: next.maxConnections)
        events.append(.failover(r, from: from, to: next, why: reason, backedOff: backsOff))
        return .success(next)
    }

    private func sweepLocked(_ st: inout State, now: ContinuousClock.Instant, events: inout [Event]) {
        let expired = st.slots.values.filter { !$0.isLive(at: now, grace: grace) }.map(\.id)
        for id in expired.sorted() { st.end(id, cause: .expired, at: now, events: &events) }
        st.backoffUntil = st.backoffUntil.filter { $0.value > now }
        check(&st, now: now, events: &events)
    }

    private func check(_ st: inout State, now: ContinuousClock.Instant, events: inout [Event]) {
        guard verifiesInvariants else { return }
        let found = st.verify(now: now, grace: grace)
        if !found.isEmpty {
            st.violations.append(contentsOf: found)
            for v in found { events.append(.violation(v)) }
        }
    }

    private func build(_ st: State, now: ContinuousClock.Instant) -> SlotSnapshot {
        let slots = st.slots.values.sorted { $0.id < $1.id }.map { r in
            SlotSnapshot.Slot(
                id: r.id, viewer: r.key, accountID: r.candidate.accountID, accountName: r.candidate.accountName,
                relationID: r.candidate.relationID, inFlight: r.inFlight, lingering: r.inFlight == 0,
                headDelivered: r.headDelivered, ageSeconds: r.createdAt.duration(to: now).seconds,
                idleSeconds: (r.idleSince ?? r.lastActivity).duration(to: now).seconds, bytesSent: r.bytes)
        }
        let accounts = st.knownAccounts.sorted { $0.key < $1.key }.map { id, info in
            SlotSnapshot.Account(
                id: id, name: info.name, load: st.byAccount[id]?.count ?? 0, maxConnections: info.maxConnections,
                backoffSeconds: st.backoffUntil[id].flatMap { $0 > now ? now.duration(to: $0).seconds : nil })
        }
        let users = st.knownUsers.sorted { $0.key < $1.key }.map { id, max in
            SlotSnapshot.User(id: id, load: st.byUser[id]?.count ?? 0, maxConnections: max)
        }
        return SlotSnapshot(slots: slots, accounts: accounts, users: users)
    }

    // MARK: Logging (outside the lock)

    private func emit(_ events: [Event]) {
        for e in events {
            switch e {
            case .created(let r, let load, let isHead):
                logger.info(
                    "[slots] created slot \(r.id) for \(r.key)\(isHead ? " (HEAD)" : "") on \(r.candidate.logName), account load \(load)/\(r.candidate.maxConnections)"
                )
            case .reused(let r, let isHead):
                logger.debug(
                    "[slots] reused slot \(r.id) for \(r.key)\(isHead ? " (HEAD)" : "") on \(r.candidate.logName), \(r.inFlight) in flight"
                )
            case .lingering(let r):
                logger.debug(
                    "[slots] lingering slot \(r.id) for \(r.key) on \(r.candidate.logName) for \(grace.seconds)s")
            case .ended(let r, let cause, let seenAt):
                // An expired slot ended at its deadline, not when it was noticed.
                let at = cause == .expired ? min(seenAt, (r.idleSince ?? seenAt) + grace) : seenAt
                logger.info(
                    "[slots] ended slot \(r.id) for \(r.key) on \(r.candidate.logName) after \(String(format: "%.1f", r.createdAt.duration(to: at).seconds))s, \(r.bytes) bytes sent: \(cause.rawValue)"
                )
            case .zapped(let r, let newKey):
                logger.info(
                    "[slots] zapped lingering slot \(r.id) for \(r.key) on \(r.candidate.logName) to admit \(newKey.kind.rawValue) \(newKey.contentID)"
                )
            case .refused(let key, let refusal, let isHead):
                logger.info("[slots] refused \(key)\(isHead ? " (HEAD)" : ""): \(refusal.logCause)")
            case .failover(let r, let from, let to, let why, let backedOff):
                logger.info(
                    "[slots] failover from \(from.logName) to \(to.logName): \(why) (slot \(r.id), \(r.key))\(backedOff ? "; \(from.accountName) backed off for \(backoff.seconds)s" : "")"
                )
            case .failoverFollowed(let r, let from, let why, let backedOff):
                logger.info(
                    "[slots] failover from \(from.logName) to \(r.candidate.logName): \(why) (slot \(r.id), \(r.key), already moved by another request)\(backedOff ? "; \(from.accountName) backed off for \(backoff.seconds)s" : "")"
                )
            case .failoverRefused(let r, let from, let why, let refusal, let backedOff):
                logger.info(
                    "[slots] failover from \(from.logName) refused: \(why), \(refusal.logCause) (slot \(r.id), \(r.key))\(backedOff ? "; \(from.accountName) backed off for \(backoff.seconds)s" : "")"
                )
            case .violation(let text):
                logger.error("[slots] invariant violated: \(text)")
            }
        }
    }
}

// MARK: - State

extension InProcessSlotCore {
    struct Record: Sendable {
        let id: Int64
        let key: ViewerKey
        var candidate: SlotCandidate
        /// The enabled candidates of the creating request, in admission order: where failover may go.
        let candidates: [SlotCandidate]
        /// Accounts that failed this viewing before its head; failover never returns to them.
        var failedAccounts: [Int64] = []
        var inFlight = 1
        var headDelivered = false
        let createdAt: ContinuousClock.Instant
        var lastActivity: ContinuousClock.Instant
        /// When in-flight last dropped to 0: the linger runs from here (rule 3), not from creation.
        var idleSince: ContinuousClock.Instant?
        var bytes: Int64 = 0

        init(
            id: Int64, key: ViewerKey, candidate: SlotCandidate, candidates: [SlotCandidate],
            createdAt: ContinuousClock.Instant
        ) {
            self.id = id
            self.key = key
            self.candidate = candidate
            self.candidates = candidates
            self.createdAt = createdAt
            self.lastActivity = createdAt
        }

        /// A slot whose linger deadline has passed is ended for every decision, removed or not.
        func isLive(at now: ContinuousClock.Instant, grace: Duration) -> Bool {
            guard inFlight == 0, let idle = idleSince else { return true }
            return now < idle + grace
        }
    }

    struct KnownAccount: Sendable {
        var name: String
        var maxConnections: Int
    }

    enum EndCause: String, Sendable {
        case expired = "grace period over"
        case zapped = "zapped"
    }

    enum Event {
        case created(Record, accountLoad: Int, isHead: Bool)
        case reused(Record, isHead: Bool)
        case lingering(Record)
        case ended(Record, EndCause, at: ContinuousClock.Instant)
        case zapped(Record, for: ViewerKey)
        case refused(ViewerKey, SlotRefusal, isHead: Bool)
        case failover(Record, from: SlotCandidate, to: SlotCandidate, why: FailoverReason, backedOff: Bool)
        case failoverFollowed(Record, from: SlotCandidate, why: FailoverReason, backedOff: Bool)
        case failoverRefused(Record, from: SlotCandidate, why: FailoverReason, refusal: SlotRefusal, backedOff: Bool)
        case violation(String)
    }

    struct State {
        var nextID: Int64 = 1
        var slots: [Int64: Record] = [:]
        var byKey: [ViewerKey: Int64] = [:]
        /// Slot ids bound to each account / owned by each user. Loads are the counts of these lists once pruned
        /// of expired slots; the lists are the slots' membership, not counters.
        var byAccount: [Int64: [Int64]] = [:]
        var byUser: [Int64: [Int64]] = [:]
        var backoffUntil: [Int64: ContinuousClock.Instant] = [:]
        var knownAccounts: [Int64: KnownAccount] = [:]
        /// User id → `max_connections` last seen.
        var knownUsers: [Int64: Int] = [:]
        var violations: [String] = []

        func isBackedOff(_ accountID: Int64, now: ContinuousClock.Instant) -> Bool {
            guard let until = backoffUntil[accountID] else { return false }
            return now < until
        }

        /// Lingering slots of the same user and client IP among `ids`, idle the longest first.
        func lingering(_ ids: [Int64], sameViewerAs key: ViewerKey) -> [Int64] {
            ids.compactMap { slots[$0] }
                .filter { $0.inFlight == 0 && $0.key.userID == key.userID && $0.key.clientIP == key.clientIP }
                .sorted { ($0.idleSince ?? $0.lastActivity, $0.id) < ($1.idleSince ?? $1.lastActivity, $1.id) }
                .map(\.id)
        }

        /// Ends the account's expired slots; returns its load (live slot count).
        mutating func prune(account: Int64, now: ContinuousClock.Instant, grace: Duration, events: inout [Event]) -> Int {
            prune(\.byAccount, account, now: now, grace: grace, events: &events)
        }

        mutating func prune(user: Int64, now: ContinuousClock.Instant, grace: Duration, events: inout [Event]) -> Int {
            prune(\.byUser, user, now: now, grace: grace, events: &events)
        }

        private mutating func prune(
            _ lists: WritableKeyPath<State, [Int64: [Int64]]>, _ owner: Int64, now: ContinuousClock.Instant,
            grace: Duration, events: inout [Event]
        ) -> Int {
            guard let ids = self[keyPath: lists][owner] else { return 0 }
            var dead: [Int64] = []
            for id in ids where !(slots[id]?.isLive(at: now, grace: grace) ?? false) { dead.append(id) }
            for id in dead {
                if slots[id] == nil {
                    Self.unlist(id, from: &self[keyPath: lists], key: owner)  // cannot happen; keeps the count honest
                } else {
                    end(id, cause: .expired, at: now, events: &events)
                }
            }
            return self[keyPath: lists][owner]?.count ?? 0
        }

        mutating func end(_ id: Int64, cause: EndCause, at now: ContinuousClock.Instant, events: inout [Event]) {
            guard let r = slots.removeValue(forKey: id) else { return }
            if byKey[r.key] == id { byKey[r.key] = nil }
            Self.unlist(id, from: &byAccount, key: r.candidate.accountID)
            Self.unlist(id, from: &byUser, key: r.key.userID)
            events.append(.ended(r, cause, at: now))
        }

        mutating func zap(_ id: Int64, for key: ViewerKey, at now: ContinuousClock.Instant, events: inout [Event]) {
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

        /// Every invariant the rules promise, checked against the current state.
        func verify(now: ContinuousClock.Instant, grace: Duration) -> [String] {
            var found: [String] = []
            for (account, ids) in byAccount {
                let live = ids.filter { slots[$0]?.isLive(at: now, grace: grace) ?? false }.count
                if let max = knownAccounts[account]?.maxConnections, live > max {
                    found.append("account \(account) has \(live) live slots, max_connections \(max)")
                }
                for id in ids where slots[id]?.candidate.accountID != account {
                    found.append("account \(account) lists slot \(id) that is not bound to it")
                }
                if Set(ids).count != ids.count { found.append("account \(account) lists a slot twice") }
            }
            for (user, ids) in byUser {
                let live = ids.filter { slots[$0]?.isLive(at: now, grace: grace) ?? false }.count
                if let max = knownUsers[user], live > max {
                    found.append("user \(user) has \(live) live slots, max_connections \(max)")
                }
                for id in ids where slots[id]?.key.userID != user {
                    found.append("user \(user) lists slot \(id) that is not theirs")
                }
            }
            for (id, r) in slots {
                if byKey[r.key] != id { found.append("slot \(id) is not indexed by its viewer key") }
                if !(byAccount[r.candidate.accountID]?.contains(id) ?? false) {
                    found.append("slot \(id) is missing from account \(r.candidate.accountID)")
                }
                if !(byUser[r.key.userID]?.contains(id) ?? false) { found.append("slot \(id) is missing from its user") }
                if r.inFlight < 0 { found.append("slot \(id) has in-flight \(r.inFlight)") }
                if r.inFlight == 0, r.idleSince == nil { found.append("slot \(id) is idle without an idle time") }
            }
            if byKey.count != slots.count { found.append("viewer index has \(byKey.count) keys for \(slots.count) slots") }
            return found
        }
    }
}

extension SlotRefusal {
    var logCause: String {
        switch self {
        case .userLimit(let max): "user at max_connections \(max)"
        case .noCapacity(let accounts): "no account with room (\(accounts.joined(separator: ", ")))"
        case .noCandidates: "no enabled account holds the title"
        case .notMovable: "a head was already delivered, the viewing is pinned"
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
