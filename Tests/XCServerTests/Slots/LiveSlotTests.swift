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
}
