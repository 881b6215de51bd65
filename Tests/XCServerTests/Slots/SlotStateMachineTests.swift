import Foundation
import Testing

@testable import XCServerKit

/// The state machine on its own: no clock (every instant is a value passed in), no lock, no logger. Each test
/// checks the decision and the events a step hands back.
@Suite("Slot state machine: decisions as values")
struct SlotStateMachineTests {
    /// The origin every instant of a test is an offset of; read once, never again.
    static let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { Self.t0 + .milliseconds(Int((seconds * 1000).rounded())) }

    let alpha = slotAccount(1, "alpha", priority: 10, max: 1)
    let beta = slotAccount(2, "beta", priority: 5, max: 2)

    func machine(grace: Duration = .seconds(10), settle: Duration = .milliseconds(300)) -> SlotStateMachine {
        SlotStateMachine(policy: .init(grace: grace, settle: settle, backoff: .seconds(30)))
    }

    func request(
        user: Int64 = 1, ip: String = "192.0.2.10", kind: ContentKind = .movie, _ content: Int64, userMax: Int = 2,
        _ candidates: [SlotCandidate]
    ) -> SlotRequest {
        SlotRequest(
            key: ViewerKey(userID: user, clientIP: ip, kind: kind, contentID: content), userMaxConnections: userMax,
            candidates: candidates)
    }

    func names(_ events: [SlotEvent]) -> [String] {
        events.map { e in
            switch e {
            case .created(let r, _, _): "created \(r.key.contentID) on \(r.candidate.accountName)"
            case .reused(let r, _): "reused \(r.key.contentID)"
            case .lingering(let r): "lingering \(r.key.contentID)"
            case .ended(let r, let cause, _): "ended \(r.key.contentID): \(cause.rawValue)"
            case .zapped(let r, let key): "zapped \(r.key.contentID) for \(key.contentID)"
            case .refused(let key, let refusal, _): "refused \(key.contentID): \(refusal.logCause)"
            case .failover(let r, let from, let to, _, let backedOff):
                "failover \(r.key.contentID) \(from.accountName)→\(to.accountName)\(backedOff ? " backoff" : "")"
            case .failoverFollowed(let r, _, _, _): "followed \(r.key.contentID)"
            case .failoverRefused(let r, _, _, let refusal, _): "failover refused \(r.key.contentID): \(refusal.logCause)"
            case .violation(let text): "violation \(text)"
            }
        }
    }

    @discardableResult
    func admit(
        _ m: inout SlotStateMachine, _ req: SlotRequest, at now: ContinuousClock.Instant,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (SlotStateMachine.Grant, [String]) {
        let (result, events) = m.admit(req, now: now)
        let grant = try #require(try? result.get(), "refused: \(names(events))", sourceLocation: sourceLocation)
        return (grant, names(events))
    }

    @Test func reuseLingerAndExpiryToTheInstant() throws {
        var m = machine()
        let (first, created) = try admit(&m, request(42, [alpha]), at: at(0))
        #expect(created == ["created 42 on alpha"] && !first.reused)
        let (second, reused) = try admit(&m, request(42, [alpha]), at: at(1))
        #expect(reused == ["reused 42"] && second.reused && second.slotID == first.slotID)

        #expect(names(m.release(first.slotID, now: at(2))).isEmpty, "one request still in flight")
        #expect(names(m.release(first.slotID, now: at(5))) == ["lingering 42"])
        #expect(names(m.release(first.slotID, now: at(5))) == ["violation release of slot 1 that has no request in flight"])

        // The grace period runs from the last request's end (5 s): 14.999 s still reuses, 15 s does not.
        let (third, _) = try admit(&m, request(42, [alpha]), at: at(14.999))
        #expect(third.reused)
        #expect(names(m.release(third.slotID, now: at(14.999))) == ["lingering 42"])
        #expect(names(m.sweep(now: at(24.998))).isEmpty)
        #expect(names(m.sweep(now: at(24.999))) == ["ended 42: grace period over"])
        #expect(m.snapshot(now: at(25)).slots.isEmpty)
        #expect(m.snapshot(now: at(25)).accounts.map(\.load) == [0])
        #expect(m.invariantViolations(now: at(25)).isEmpty)
    }

    /// Issue 8: device A moves from film 10007 (alpha) to episode 11001, which plays from beta because A's film
    /// still lingers on one-connection alpha. The login is at 2 of 2 only because of that linger; device B asks
    /// for film 20008 (beta only) and gets it, the film's slot ending for it.
    @Test func aLoginsOwnLingerGivesWayToItsOtherDevice() throws {
        var m = machine()
        let (film, _) = try admit(&m, request(ip: "192.0.2.10", 10007, [alpha]), at: at(0))
        _ = m.release(film.slotID, now: at(60))
        let (episode, episodeEvents) = try admit(&m, request(ip: "192.0.2.10", kind: .episode, 11001, [alpha, beta]), at: at(61))
        #expect(episode.candidate == beta, "a free account is used before zapping: \(episodeEvents)")
        #expect(m.snapshot(now: at(61)).user(1)?.load == 2)

        let (other, events) = try admit(&m, request(ip: "192.0.2.11", 20008, [beta]), at: at(62))
        #expect(other.candidate == beta && !other.reused)
        #expect(events == ["zapped 10007 for 20008", "ended 10007: zapped", "created 20008 on beta"])
        #expect(other.settleDelay == .zero, "the film's account is not the one the new viewing gets")
        let snap = m.snapshot(now: at(62))
        #expect(snap.slots.map(\.viewer.contentID) == [11001, 20008])
        #expect(snap.user(1)?.load == 2 && snap.account(1)?.load == 0)
        #expect(m.invariantViolations(now: at(62)).isEmpty)
    }

    @Test func accountCapacityKeepsTheSameDeviceRule() throws {
        var m = machine()
        let (film, _) = try admit(&m, request(ip: "192.0.2.10", 10007, userMax: 3, [alpha]), at: at(0))
        _ = m.release(film.slotID, now: at(1))
        let (result, events) = m.admit(request(ip: "192.0.2.11", 10010, userMax: 3, [alpha]), now: at(2))
        #expect(result == .failure(.noCapacity(accounts: ["alpha"])), "the login is under its limit: no zap across devices")
        #expect(names(events) == ["refused 10010: no account with room (alpha)"])
        let (back, _) = try admit(&m, request(ip: "192.0.2.10", 10007, userMax: 3, [alpha]), at: at(3))
        #expect(back.reused && back.slotID == film.slotID)
    }

    /// At the login's limit with no account free: the login's oldest lingering slot ends anyway, and when that is
    /// what frees the account, the new viewing gets it (after the settle time).
    @Test func aLoginsOwnLingerAlsoFreesTheAccountItHeld() throws {
        var m = machine()
        let (film, _) = try admit(&m, request(ip: "192.0.2.10", 10007, [alpha]), at: at(0))
        _ = m.release(film.slotID, now: at(10))
        _ = try admit(&m, request(ip: "192.0.2.10", kind: .episode, 11001, [alpha, beta]), at: at(10.05))
        let (other, events) = try admit(&m, request(ip: "192.0.2.11", 10010, [alpha]), at: at(10.1))
        #expect(other.candidate == alpha)
        #expect(events == ["zapped 10007 for 10010", "ended 10007: zapped", "created 10010 on alpha"])
        #expect(other.settleDelay == .milliseconds(200), "300 ms after the film's last request ended")
        #expect(m.invariantViolations(now: at(10.1)).isEmpty)
    }

    @Test func theOldestLingeringSlotOfTheLoginEndsFirst() throws {
        let roomy = slotAccount(3, "roomy", max: 5)
        var m = machine()
        let (older, _) = try admit(&m, request(ip: "192.0.2.10", 1, [roomy]), at: at(0))
        let (newer, _) = try admit(&m, request(ip: "192.0.2.11", 2, [roomy]), at: at(0))
        _ = m.release(older.slotID, now: at(1))
        _ = m.release(newer.slotID, now: at(2))
        let (_, events) = try admit(&m, request(ip: "192.0.2.12", 3, [roomy]), at: at(3))
        #expect(events == ["zapped 1 for 3", "ended 1: zapped", "created 3 on roomy"])
        let (same, _) = try admit(&m, request(ip: "192.0.2.11", 2, [roomy]), at: at(4))
        #expect(same.reused && same.slotID == newer.slotID)
    }

    @Test func slotsInFlightNeverGiveWay() throws {
        let roomy = slotAccount(3, "roomy", max: 5)
        var m = machine()
        _ = try admit(&m, request(ip: "192.0.2.10", 1, [roomy]), at: at(0))
        _ = try admit(&m, request(ip: "192.0.2.11", 2, [roomy]), at: at(0))
        let (result, events) = m.admit(request(ip: "192.0.2.12", 3, [roomy]), now: at(1))
        #expect(result == .failure(.userLimit(max: 2)))
        #expect(names(events) == ["refused 3: user at max_connections 2"])
        #expect(m.snapshot(now: at(1)).slots.count == 2)
    }

    @Test func nothingEndsForARequestRefusedAnyway() throws {
        var m = machine()
        let (film, _) = try admit(&m, request(ip: "192.0.2.10", 10007, userMax: 1, [alpha]), at: at(0))
        _ = m.release(film.slotID, now: at(1))
        _ = try admit(&m, request(user: 2, ip: "192.0.2.50", 30001, [beta]), at: at(1))
        _ = try admit(&m, request(user: 2, ip: "192.0.2.50", 30002, [beta]), at: at(1))
        // Login 1 is at its limit with a lingering slot, but beta is full of login 2's viewings.
        let (result, events) = m.admit(request(ip: "192.0.2.11", 20008, userMax: 1, [beta]), now: at(2))
        #expect(result == .failure(.noCapacity(accounts: ["beta"])))
        #expect(names(events) == ["refused 20008: no account with room (beta)"])
        #expect(m.snapshot(now: at(2)).slots.count == 3)
    }

    @Test func failoverBacksOffARefusingAccountUntilItsTimeIsOver() throws {
        var m = machine()
        let (grant, _) = try admit(&m, request(10001, [alpha, beta]), at: at(0))
        #expect(grant.candidate == alpha)
        let (moved, events) = m.relocate(grant.slotID, from: alpha, reason: .status(458), now: at(1))
        #expect(moved == .success(beta))
        #expect(names(events) == ["failover 10001 alpha→beta backoff"])
        #expect(m.snapshot(now: at(1)).account(1)?.backoffSeconds == 30)

        let (other, _) = try admit(&m, request(user: 2, ip: "192.0.2.50", 10002, [alpha, beta]), at: at(2))
        #expect(other.candidate == beta, "alpha is backed off")
        _ = m.sweep(now: at(31))
        #expect(m.snapshot(now: at(31)).account(1)?.backoffSeconds == nil)

        let delivered = m.deliverHead(grant.slotID, candidate: beta, now: at(31))
        #expect(delivered)
        let (pinned, pinnedEvents) = m.relocate(grant.slotID, from: beta, reason: .status(502), now: at(32))
        #expect(pinned == .failure(.notMovable))
        #expect(names(pinnedEvents) == ["failover refused 10001: a head was already delivered, the viewing is pinned"])
    }

    @Test func aTimeoutMovesTheSlotWithoutBackingOff() throws {
        var m = machine()
        let (grant, _) = try admit(&m, request(10001, [alpha, beta]), at: at(0))
        let (moved, events) = m.relocate(grant.slotID, from: alpha, reason: .timeout, now: at(1))
        #expect(moved == .success(beta))
        #expect(names(events) == ["failover 10001 alpha→beta"])
        #expect(m.snapshot(now: at(1)).account(1)?.backoffSeconds == nil)
        // A sibling request that still tried alpha follows the slot instead of moving it again.
        let (followed, followEvents) = m.relocate(grant.slotID, from: alpha, reason: .connectError, now: at(2))
        #expect(followed == .success(beta))
        #expect(names(followEvents) == ["followed 10001"])
    }

    @Test func theEventLogWritesOneSlotsLinePerEvent() throws {
        let logs = SlotLogCapture()
        let log = SlotEventLog(logger: logs.logger, backoff: .seconds(30))
        var m = machine()
        let (film, created) = m.admit(request(ip: "192.0.2.10", 10007, [alpha]), now: at(0))
        let id = try film.get().slotID
        let lingering = m.release(id, now: at(1))
        _ = try admit(&m, request(ip: "192.0.2.10", kind: .episode, 11001, [alpha, beta]), at: at(2))
        let (_, zapped) = m.admit(request(ip: "192.0.2.11", 20008, [beta]), now: at(3))
        let all = created + lingering + zapped
        log.log(all)
        #expect(logs.all.count == all.count)
        #expect(logs.all.allSatisfy { $0.contains("[slots] ") })
        #expect(logs.lines(containing: "[slots] created slot 1 for user 1 @ 192.0.2.10 movie 10007 on 'alpha'").count == 1)
        #expect(logs.lines(containing: "lingering slot 1").first?.hasPrefix("debug") == true)
        #expect(logs.lines(containing: "[slots] zapped lingering slot 1 for user 1 @ 192.0.2.10 movie 10007 on 'alpha' (account 1, relation 100) to admit movie 20008 from 192.0.2.11").count == 1)
        #expect(logs.lines(containing: "[slots] ended slot 1").first?.hasSuffix("after 3.0s, 0 bytes sent: zapped") == true)
    }
    /// The routes pass candidates in admission order and the machine then takes them as they are; any other
    /// order, or a disabled candidate, is still sorted and filtered (admission and failover alike).
    @Test func candidatesInAnyOrderAreAdmittedInAdmissionOrderAndDisabledOnesNever() throws {
        let gamma = slotAccount(3, "gamma", priority: 20, max: 1, enabled: false)
        let delta = slotAccount(4, "delta", priority: 1, max: 1)
        var m = machine()
        let (grant, _) = try admit(&m, request(10001, [delta, beta, gamma, alpha]), at: at(0))
        #expect(grant.candidate == alpha, "alpha has the highest priority of the enabled candidates")
        let (first, _) = m.relocate(grant.slotID, from: alpha, reason: .timeout, now: at(1))
        #expect(first == .success(beta))
        let (second, _) = m.relocate(grant.slotID, from: beta, reason: .timeout, now: at(2))
        #expect(second == .success(delta), "failover follows admission order and never goes to the disabled gamma")
        let (third, _) = m.relocate(grant.slotID, from: delta, reason: .timeout, now: at(3))
        #expect(third == .failure(.noCandidates))

        let (onlyDisabled, events) = m.admit(request(user: 2, 10002, [gamma]), now: at(4))
        #expect(onlyDisabled == .failure(.noCandidates))
        #expect(names(events) == ["refused 10002: no enabled account holds the title"])
    }

    /// Above info the log writes violations only, and still every one of them.
    @Test func aQuietEventLogWritesOnlyViolations() throws {
        let logs = SlotLogCapture()
        var logger = logs.logger
        logger.logLevel = .warning
        var m = machine()
        let (film, created) = m.admit(request(10007, [alpha]), now: at(0))
        let lingering = m.release(try film.get().slotID, now: at(1))
        SlotEventLog(logger: logger, backoff: .seconds(30)).log(created + lingering + [.violation("test violation")])
        #expect(logs.all.count == 1 && logs.all.first?.contains("[slots] invariant violated: test violation") == true, "\(logs.all)")
    }
}
