import Foundation
import Testing

@testable import XCServerKit

/// Live channels in the slot state machine (docs/slots.md, "Live channels"): every viewer of a channel
/// shares its one upstream, so the account counts it once while each viewing counts for its own login;
/// live slots linger briefly; zapping ends one's own previous channel only when no one else watches it.
@Suite struct LiveSlotTests {
    static let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { Self.t0 + .milliseconds(Int((seconds * 1000).rounded())) }

    /// A one-connection account holding channels 1, 2 and 3 (relation = 1000 + channel).
    func channel(_ id: Int64) -> [SlotCandidate] { [slotAccount(1, "alpha", max: 1, relation: 1000 + id)] }

    func machine() -> SlotStateMachine {
        SlotStateMachine(policy: .init(grace: .seconds(10), settle: .milliseconds(300), backoff: .seconds(30),
                                       liveLinger: .seconds(3)))
    }

    func watch(_ m: inout SlotStateMachine, user: Int64, ip: String, channel id: Int64, userMax: Int = 1,
               at now: ContinuousClock.Instant) -> Result<SlotStateMachine.Grant, SlotRefusal> {
        m.admit(SlotRequest(key: ViewerKey(userID: user, clientIP: ip, kind: .live, contentID: id),
                            userMaxConnections: userMax, candidates: channel(id)), now: now).0
    }

    func accountLoad(_ m: SlotStateMachine, at now: ContinuousClock.Instant) -> Int? {
        m.snapshot(now: now).accounts.first { $0.id == 1 }?.load
    }

    @Test func twoHouseholdTVsOnOneChannelCostTheAccountOneConnection() throws {
        var m = machine()
        let living = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        let kitchen = try watch(&m, user: 2, ip: "10.0.0.3", channel: 1, at: at(1)).get()
        #expect(!kitchen.reused && kitchen.slotID != living.slotID, "each viewing has its own slot")
        #expect(kitchen.candidate == living.candidate, "on the upstream already open")
        #expect(accountLoad(m, at: at(1)) == 1)
        #expect(m.invariantViolations(now: at(1)).isEmpty)
        // Another channel needs a second connection the account does not have.
        #expect(watch(&m, user: 3, ip: "10.0.0.4", channel: 2, at: at(2)) == .failure(.noCapacity(accounts: ["alpha"])))
    }

    @Test func eachViewingCountsForItsOwnLogin() throws {
        var m = machine()
        _ = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        // The same login on a second device: one more viewing, over the login's limit of 1, although the
        // channel's upstream is shared.
        #expect(watch(&m, user: 1, ip: "10.0.0.9", channel: 1, at: at(1)) == .failure(.userLimit(max: 1)))
        #expect(try watch(&m, user: 1, ip: "10.0.0.9", channel: 1, userMax: 2, at: at(1)).get().reused == false)
    }

    @Test func kodisSixConnectionsToOneChannelAreOneViewing() throws {
        var m = machine()
        let first = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        for second in 1...5 {
            let again = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(Double(second) / 10)).get()
            #expect(again.reused && again.slotID == first.slotID)
        }
        #expect(m.snapshot(now: at(1)).slots.count == 1)
    }

    @Test func aLiveSlotLingersThreeSecondsNotTheFilmGrace() throws {
        var m = machine()
        let grant = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        _ = m.release(grant.slotID, now: at(5))
        #expect(accountLoad(m, at: at(7.9)) == 1, "a player's reconnect within the linger finds it")
        #expect(watch(&m, user: 2, ip: "10.0.0.3", channel: 2, at: at(8.1)).map(\.candidate.relationID) == .success(1002),
                "3 s after the last viewer left, the connection is free for another channel")
    }

    @Test func zappingEndsOnesOwnChannelAtOnceUnlessSomeoneElseWatchesIt() throws {
        var m = machine()
        let mine = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        _ = m.release(mine.slotID, now: at(10))
        // Alone on channel 1: zapping to 2 ends it at once (no 3 s wait) and waits out the settle time.
        let (result, events) = m.admit(SlotRequest(key: ViewerKey(userID: 1, clientIP: "10.0.0.2", kind: .live, contentID: 2),
                                                   userMaxConnections: 1, candidates: channel(2)), now: at(10.1))
        let zapped = try result.get()
        #expect(events.contains { if case .zapped(let r, _) = $0 { r.id == mine.slotID } else { false } })
        #expect(zapped.settleDelay == .milliseconds(200))
        // Now someone else joins channel 2; the first viewer leaves it and zaps to 3: channel 2 stays (the
        // other viewer still watches), so there is no connection for 3.
        _ = try watch(&m, user: 2, ip: "10.0.0.3", channel: 2, at: at(11)).get()
        _ = m.release(zapped.slotID, now: at(12))
        #expect(watch(&m, user: 1, ip: "10.0.0.2", channel: 3, at: at(12.1)) == .failure(.noCapacity(accounts: ["alpha"])))
        #expect(accountLoad(m, at: at(12.1)) == 1)
        #expect(m.invariantViolations(now: at(12.1)).isEmpty)
    }

    @Test func filmsAndLiveShareTheAccountsConnections() throws {
        var m = machine()
        let two = [slotAccount(1, "alpha", max: 2, relation: 1001)]
        _ = try m.admit(SlotRequest(key: ViewerKey(userID: 1, clientIP: "10.0.0.2", kind: .live, contentID: 1),
                                    userMaxConnections: 3, candidates: two), now: at(0)).0.get()
        _ = try m.admit(SlotRequest(key: ViewerKey(userID: 2, clientIP: "10.0.0.3", kind: .live, contentID: 1),
                                    userMaxConnections: 3, candidates: two), now: at(0)).0.get()
        let film = [slotAccount(1, "alpha", max: 2, relation: 77)]
        _ = try m.admit(SlotRequest(key: ViewerKey(userID: 3, clientIP: "10.0.0.4", kind: .movie, contentID: 9),
                                    userMaxConnections: 3, candidates: film), now: at(1)).0.get()
        #expect(accountLoad(m, at: at(1)) == 2, "one channel upstream plus one film")
        let another = m.admit(SlotRequest(key: ViewerKey(userID: 4, clientIP: "10.0.0.5", kind: .movie, contentID: 8),
                                          userMaxConnections: 3, candidates: [slotAccount(1, "alpha", max: 2, relation: 78)]),
                              now: at(1)).0
        #expect(another.map(\.slotID) == .failure(.noCapacity(accounts: ["alpha"])))
    }

    /// TiviMate asks for the next channel before its old connection's end reached xcserver: on a full
    /// account the same device's running viewing of another channel ends for it (and the new one waits
    /// out the settle time), but never another device's, and a film of that device is never cut.
    @Test func zappingEndsTheSameDevicesRunningChannelButNoOneElses() throws {
        var m = machine()
        let first = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        let (result, events) = m.admit(SlotRequest(key: ViewerKey(userID: 1, clientIP: "10.0.0.2", kind: .live, contentID: 2),
                                                   userMaxConnections: 1, candidates: channel(2)), now: at(5))
        let next = try result.get()
        #expect(events.contains { if case .zapped(let r, _) = $0 { r.id == first.slotID } else { false } })
        #expect(next.settleDelay == .milliseconds(300), "the zapped connection closes from now")
        #expect(m.unsharedChannelEnds(in: events, now: at(5)).map(\.0) == [ChannelEnds.Channel(contentID: 1, relationID: 1001)])
        #expect(m.unsharedChannelEnds(in: events, now: at(5)).map(\.zapped) == [true])
        #expect(m.release(first.slotID, now: at(5.1)).isEmpty, "the zapped request's late end is expected")
        // Another device of another login cannot take the account from a running viewing.
        #expect(watch(&m, user: 2, ip: "10.0.0.3", channel: 3, at: at(6)) == .failure(.noCapacity(accounts: ["alpha"])))
        // The same device's film in flight is not a channel it left.
        var films = machine()
        _ = try films.admit(SlotRequest(key: ViewerKey(userID: 1, clientIP: "10.0.0.2", kind: .movie, contentID: 9),
                                        userMaxConnections: 2, candidates: [slotAccount(1, "alpha", max: 1, relation: 77)]), now: at(0)).0.get()
        #expect(watch(&films, user: 1, ip: "10.0.0.2", channel: 1, userMax: 2, at: at(1)) == .failure(.noCapacity(accounts: ["alpha"])))
        #expect(m.invariantViolations(now: at(6)).isEmpty)
    }

    /// A channel lost after its first byte moves with every viewer to the next account with room.
    @Test func aLostChannelMovesWithAllItsViewersToTheNextAccount() throws {
        var m = machine()
        let both = [slotAccount(1, "alpha", max: 1, relation: 1001), slotAccount(2, "beta", priority: 0, max: 1, relation: 2001)]
        func join(_ user: Int64, _ ip: String) throws -> SlotStateMachine.Grant {
            try m.admit(SlotRequest(key: ViewerKey(userID: user, clientIP: ip, kind: .live, contentID: 1),
                                    userMaxConnections: 1, candidates: both), now: at(0)).0.get()
        }
        let a = try join(1, "10.0.0.2")
        let b = try join(2, "10.0.0.3")
        #expect(a.candidate.accountID == 1 && b.candidate.accountID == 1)
        let (moved, events) = m.moveChannel(.channel(.live, contentID: 1, relationID: 1001), from: a.candidate, reason: .status(509), now: at(1))
        #expect(try moved.get().accountID == 2)
        #expect(events.filter { if case .failover = $0 { true } else { false } }.count == 2, "both viewings moved")
        let snapshot = m.snapshot(now: at(1))
        #expect(snapshot.slots.allSatisfy { $0.accountID == 2 })
        #expect(snapshot.accounts.first { $0.id == 1 }?.load == 0 && snapshot.accounts.first { $0.id == 2 }?.load == 1)
        #expect(m.invariantViolations(now: at(1)).isEmpty)
        // Lost again on beta: alpha refused moments ago (backed off), so there is nowhere to go.
        let (again, _) = m.moveChannel(.channel(.live, contentID: 1, relationID: 2001), from: try moved.get(), reason: .connectError, now: at(2))
        #expect(again.map(\.accountID) == .failure(.noCandidates))
    }

    /// A channel watched as TS by one TV and as HLS by another is two provider connections (a stream and
    /// a playlist session), so a one-connection account cannot take the second; two HLS viewers share one.
    @Test func tsAndHLSViewersOfAChannelAreTwoConnectionsHLSViewersShareOne() throws {
        var m = machine()
        _ = try watch(&m, user: 1, ip: "10.0.0.2", channel: 1, at: at(0)).get()
        let hls = { (user: Int64, ip: String) in
            m.admit(SlotRequest(key: ViewerKey(userID: user, clientIP: ip, kind: .hls, contentID: 1),
                                userMaxConnections: 1, candidates: self.channel(1)), now: self.at(1)).0
        }
        #expect(hls(2, "10.0.0.3").map(\.reused) == .failure(.noCapacity(accounts: ["alpha"])))
        var other = machine()
        _ = try other.admit(SlotRequest(key: ViewerKey(userID: 1, clientIP: "10.0.0.2", kind: .hls, contentID: 1),
                                        userMaxConnections: 1, candidates: channel(1)), now: at(0)).0.get()
        let second = other.admit(SlotRequest(key: ViewerKey(userID: 2, clientIP: "10.0.0.3", kind: .hls, contentID: 1),
                                             userMaxConnections: 1, candidates: channel(1)), now: at(1)).0
        #expect(second.map(\.reused) == .success(false), "a second HLS viewer shares the HLS upstream")
        #expect(accountLoad(other, at: at(1)) == 1)
        #expect(m.invariantViolations(now: at(1)).isEmpty && other.invariantViolations(now: at(1)).isEmpty)
    }
}
