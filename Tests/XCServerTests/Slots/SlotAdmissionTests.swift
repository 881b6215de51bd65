import Foundation
import Testing

@testable import XCServerKit

@Suite("Slot core: reuse, admission, linger, zapping, release")
struct SlotAdmissionTests {
    let alpha = slotAccount(1, "Alpha", max: 1)

    // MARK: Reuse, the TiviMate pattern (docs/slots.md)

    @Test func tiviMatePatternOnOneConnectionAccount() throws {
        let h = SlotHarness()
        let probe = try h.acquire(content: 42, candidates: [alpha])
        let index = try h.acquire(content: 42, candidates: [alpha])
        let play = try h.acquire(content: 42, candidates: [alpha])
        #expect(!probe.reused)
        #expect(index.reused && play.reused)
        #expect(Set([probe.slotID, index.slotID, play.slotID]).count == 1)
        #expect([probe, index, play].allSatisfy { $0.candidate == alpha })
        #expect(h.accountLoad(1) == 1)
        #expect(h.core.snapshotNow().slots.map(\.inFlight) == [3])

        // Seeks abandon older requests and open new ones, some while others are still open.
        probe.release()
        index.release()
        let seek1 = try h.acquire(content: 42, candidates: [alpha])
        play.release()
        h.clock.advance(by: .seconds(3))
        let seek2 = try h.acquire(content: 42, candidates: [alpha])
        #expect(seek1.reused && seek2.reused)
        #expect(seek1.slotID == probe.slotID && seek2.slotID == probe.slotID)
        #expect(h.accountLoad(1) == 1)
        seek1.release()
        seek2.release()
        #expect(h.accountLoad(1) == 1, "a lingering slot still holds its connection")
        #expect(h.core.snapshotNow().slots.map(\.lingering) == [true])
        #expect(h.violations.isEmpty)
    }

    @Test func tiviMatePatternConcurrently() async throws {
        let h = SlotHarness(quiet: true)
        let alpha = self.alpha
        for round in 0..<50 {
            let leases = try await withThrowingTaskGroup(of: SlotLease.self) { group in
                for _ in 0..<3 {
                    group.addTask { try h.acquire(content: 42, candidates: [alpha]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(leases.filter { !$0.reused }.count == 1, "round \(round)")
            #expect(Set(leases.map(\.slotID)).count == 1, "round \(round)")
            #expect(h.accountLoad(1) == 1)
            leases.forEach { $0.release() }
            h.clock.advance(by: .seconds(11))
            #expect(h.accountLoad(1) == 0)
        }
        #expect(h.violations.isEmpty)
    }

    // MARK: Admission

    @Test func otherViewerRefusedWhileFirstWatchesThenAdmitted() throws {
        let h = SlotHarness()
        let first = try h.acquire(user: 1, ip: "10.0.0.1", content: 42, candidates: [alpha])
        #expect(h.refusal(user: 2, ip: "10.0.0.2", content: 7, candidates: [alpha]) == .noCapacity(accounts: ["Alpha"]))
        #expect(
            h.refusal(user: 1, ip: "10.0.0.9", content: 7, userMax: 2, candidates: [alpha])
                == .noCapacity(accounts: ["Alpha"]))
        #expect(h.refusal(user: 2, ip: "10.0.0.2", content: 42, candidates: [alpha]) == .noCapacity(accounts: ["Alpha"]))

        first.release()
        h.clock.advance(by: .seconds(9))
        #expect(
            h.refusal(user: 2, ip: "10.0.0.2", content: 7, candidates: [alpha]) == .noCapacity(accounts: ["Alpha"]),
            "the slot lingers for the grace period")
        h.clock.advance(by: .seconds(1))
        let second = try h.acquire(user: 2, ip: "10.0.0.2", content: 7, candidates: [alpha])
        #expect(!second.reused && second.candidate == alpha)
        #expect(h.accountLoad(1) == 1)
        #expect(!h.logs.lines(containing: "[slots] refused user 2").isEmpty)
        #expect(h.violations.isEmpty)
    }

    @Test func refusalTextAndStatus() {
        #expect(SlotRefusal.noCapacity(accounts: ["Alpha"]).httpStatus == 503)
        #expect(SlotRefusal.noCapacity(accounts: ["Alpha"]).message.contains("Alpha"))
        #expect(SlotRefusal.noCandidates.httpStatus == 503)
        #expect(SlotRefusal.userLimit(max: 2).httpStatus == 403)
        #expect(SlotRefusal.userLimit(max: 2).message.contains("2 streams"))
        #expect(SlotRefusal.notMovable.httpStatus == 502)
    }

    @Test func userLimit() async throws {
        let roomy = slotAccount(1, "Roomy", max: 5)
        let h = SlotHarness()
        let first = try h.acquire(user: 1, ip: "10.0.0.1", content: 1, userMax: 1, candidates: [roomy])
        #expect(h.refusal(user: 1, ip: "10.0.0.2", content: 2, userMax: 1, candidates: [roomy]) == .userLimit(max: 1))
        #expect(
            h.refusal(user: 1, ip: "10.0.0.1", content: 2, userMax: 1, candidates: [roomy]) == .userLimit(max: 1),
            "a slot with a request in flight is never zapped")
        let other = try h.acquire(user: 2, ip: "10.0.0.1", content: 2, userMax: 1, candidates: [roomy])
        let second = try h.acquire(user: 1, ip: "10.0.0.2", content: 2, userMax: 2, candidates: [roomy])
        #expect(h.userLoad(1) == 2 && h.userLoad(2) == 1)
        #expect(await h.core.userLoad(1) == 2)
        #expect(h.refusal(user: 1, ip: "10.0.0.3", content: 3, userMax: 2, candidates: [roomy]) == .userLimit(max: 2))
        #expect(!h.logs.lines(containing: "user at max_connections").isEmpty)
        _ = (first, other, second)
        #expect(h.violations.isEmpty)
    }

    @Test func priorityOrderAndSkippedAccounts() throws {
        let low = slotAccount(1, "Low", priority: 0)
        let highA = slotAccount(2, "HighA", priority: 10)
        let highB = slotAccount(3, "HighB", priority: 10)
        let all = [low, highB, highA]
        let h = SlotHarness()
        let l1 = try h.acquire(user: 1, content: 1, candidates: all)
        #expect(l1.candidate == highA, "higher priority first, then lower account id")
        let l2 = try h.acquire(user: 2, content: 1, candidates: all)
        #expect(l2.candidate == highB, "full accounts are skipped")
        let l3 = try h.acquire(user: 3, content: 1, candidates: all)
        #expect(l3.candidate == low)
        #expect(h.refusal(user: 4, content: 1, candidates: all) == .noCapacity(accounts: ["HighA", "HighB", "Low"]))

        var disabledA = highA
        disabledA.enabled = false
        let h2 = SlotHarness()
        #expect(try h2.acquire(user: 1, content: 1, candidates: [low, disabledA, highB]).candidate == highB)
        var disabledLow = low
        disabledLow.enabled = false
        #expect(h2.refusal(user: 2, content: 1, candidates: [disabledLow, disabledA]) == .noCandidates)
        #expect(h2.refusal(user: 2, content: 1, candidates: []) == .noCandidates)
        #expect(h.violations.isEmpty && h2.violations.isEmpty)
    }

    // MARK: Linger

    @Test func lingerRunsFromLastRequestEnd() throws {
        let h = SlotHarness()
        let play = try h.acquire(content: 42, candidates: [alpha])
        h.clock.advance(by: .seconds(300))
        play.release()
        h.clock.advance(by: .seconds(9))
        let seek = try h.acquire(content: 42, candidates: [alpha])
        #expect(seek.reused && seek.slotID == play.slotID, "9 s of idle at minute 5 is inside the grace period")

        // The deadline runs from the end of the *last* request.
        let seek2 = try h.acquire(content: 42, candidates: [alpha])
        seek.release()
        h.clock.advance(by: .seconds(4))
        seek2.release()
        h.clock.advance(by: .seconds(9))
        let seek3 = try h.acquire(content: 42, candidates: [alpha])
        #expect(seek3.reused && seek3.slotID == play.slotID)
        seek3.release()

        h.clock.advance(by: .seconds(10))
        let fresh = try h.acquire(content: 42, candidates: [alpha])
        #expect(!fresh.reused && fresh.slotID != play.slotID, "the slot ends exactly when the grace period is over")
        #expect(h.violations.isEmpty)
    }

    @Test func expiryIsLazyAndSweepTidies() throws {
        let h = SlotHarness()
        try h.acquire(user: 1, content: 42, candidates: [alpha]).release()
        h.clock.advance(by: .seconds(10))
        // No sweep ran: the expired slot must still count as ended.
        let next = try h.acquire(user: 2, ip: "10.0.0.2", content: 7, candidates: [alpha])
        #expect(!next.reused)
        next.release()
        h.clock.advance(by: .seconds(30))
        #expect(h.core.sweepNow() == 1)
        #expect(h.core.sweepNow() == 0)
        #expect(h.core.snapshotNow().slots.isEmpty)
        #expect(h.logs.lines(containing: "[slots] ended").count == 2)
        #expect(h.logs.lines(containing: "[slots] lingering").count == 2)
        #expect(h.logs.lines(containing: "[slots] created").count == 2)
        #expect(h.violations.isEmpty)
    }

    @Test func graceIsConfigurable() throws {
        let h = SlotHarness(grace: .seconds(2))
        try h.acquire(user: 1, content: 42, candidates: [alpha]).release()
        h.clock.advance(by: .seconds(2))
        #expect(h.refusal(user: 2, ip: "10.0.0.2", content: 7, candidates: [alpha]) == nil)
    }

    // MARK: Zapping

    @Test func zappingEndsOwnLingeringSlotAtOnce() throws {
        let h = SlotHarness()
        let film1 = try h.acquire(user: 1, ip: "10.0.0.1", content: 1, userMax: 3, candidates: [alpha])
        film1.release()
        h.clock.advance(by: .seconds(2))
        #expect(
            h.refusal(user: 1, ip: "10.0.0.2", content: 2, userMax: 3, candidates: [alpha])
                == .noCapacity(accounts: ["Alpha"]), "another IP of the same user does not zap")
        #expect(
            h.refusal(user: 2, ip: "10.0.0.1", content: 2, userMax: 3, candidates: [alpha])
                == .noCapacity(accounts: ["Alpha"]), "another user on the same IP does not zap")
        let film2 = try h.acquire(user: 1, ip: "10.0.0.1", content: 2, userMax: 3, candidates: [alpha])
        #expect(!film2.reused)
        #expect(h.core.snapshotNow().slots.map(\.viewer.contentID) == [2])
        #expect(h.accountLoad(1) == 1)
        #expect(h.logs.lines(containing: "[slots] zapped").count == 1)
        #expect(h.violations.isEmpty)
    }

    @Test func slotInFlightIsNotZapped() throws {
        let h = SlotHarness()
        let film1 = try h.acquire(user: 1, content: 1, userMax: 3, candidates: [alpha])
        #expect(h.refusal(user: 1, content: 2, userMax: 3, candidates: [alpha]) == .noCapacity(accounts: ["Alpha"]))
        #expect(!film1.isReleased)
        #expect(h.logs.lines(containing: "[slots] zapped").isEmpty)
    }

    @Test func zappingAtUserLimit() throws {
        let roomy = slotAccount(1, "Roomy", max: 5)
        let h = SlotHarness()
        try h.acquire(user: 1, ip: "10.0.0.1", content: 1, userMax: 1, candidates: [roomy]).release()
        #expect(
            h.refusal(user: 1, ip: "10.0.0.2", content: 2, userMax: 1, candidates: [roomy]) == nil,
            "at the login's limit its own lingering slot gives way, whichever device asks")
        #expect(h.logs.lines(containing: "[slots] zapped lingering slot 1 for user 1 @ 10.0.0.1").count == 1)
        let film2 = try h.acquire(user: 1, ip: "10.0.0.1", content: 2, userMax: 1, candidates: [roomy])
        #expect(h.core.snapshotNow().slots.map(\.viewer.contentID) == [2])
        #expect(h.userLoad(1) == 1)
        _ = film2
        #expect(h.violations.isEmpty)
    }

    @Test func noZappingForARequestRefusedAnyway() throws {
        let beta = slotAccount(2, "Beta")
        let h = SlotHarness()
        let blocker = try h.acquire(user: 2, ip: "10.0.0.2", content: 9, candidates: [beta])
        try h.acquire(user: 1, content: 1, userMax: 1, candidates: [alpha]).release()
        #expect(h.refusal(user: 1, content: 2, userMax: 1, candidates: [beta]) == .noCapacity(accounts: ["Beta"]))
        #expect(h.logs.lines(containing: "[slots] zapped").isEmpty)
        let back = try h.acquire(user: 1, content: 1, userMax: 1, candidates: [alpha])
        #expect(back.reused, "the lingering slot survived")
        _ = blocker
    }

    @Test func zappingTakesTheSlotIdleLongest() throws {
        let pair = slotAccount(1, "Pair", max: 2)
        let h = SlotHarness()
        let film1 = try h.acquire(content: 1, userMax: 5, candidates: [pair])
        let film2 = try h.acquire(content: 2, userMax: 5, candidates: [pair])
        film2.release()
        h.clock.advance(by: .seconds(1))
        film1.release()
        h.clock.advance(by: .seconds(1))
        _ = try h.acquire(content: 3, userMax: 5, candidates: [pair])
        #expect(h.core.snapshotNow().slots.map(\.viewer.contentID).sorted() == [1, 3])
        #expect(h.violations.isEmpty)
    }

    @Test func zappingOnlyWhenNoAccountHasRoom() throws {
        let best = slotAccount(1, "Best", priority: 10)
        let spare = slotAccount(2, "Spare", priority: 0)
        let h = SlotHarness()
        try h.acquire(content: 1, userMax: 2, candidates: [best, spare]).release()
        let film2 = try h.acquire(content: 2, userMax: 2, candidates: [best, spare])
        #expect(film2.candidate == spare, "a free account is used before zapping")
        let back = try h.acquire(content: 1, userMax: 2, candidates: [best, spare])
        #expect(back.reused && back.candidate == best, "returning to the previous title within grace reuses it")
        #expect(h.violations.isEmpty)
    }

    // MARK: Pinning

    @Test func tiviMatePatternPinnedToFirstAccount() throws {
        let best = slotAccount(1, "Best", priority: 10)
        let spare = slotAccount(2, "Spare", priority: 0)
        let h = SlotHarness()
        let leases = try (0..<3).map { _ in try h.acquire(content: 42, candidates: [best, spare]) }
        #expect(leases.allSatisfy { $0.candidate == best })
        #expect(h.accountLoad(1) == 1 && h.accountLoad(2) == 0)
    }

    @Test func reuseKeepsRelationWhenBetterAccountFrees() throws {
        let best = slotAccount(1, "Best", priority: 10)
        let spare = slotAccount(2, "Spare", priority: 0)
        let h = SlotHarness()
        let other = try h.acquire(user: 2, ip: "10.0.0.2", content: 9, candidates: [best])
        let probe = try h.acquire(user: 1, content: 42, candidates: [best, spare])
        #expect(probe.candidate == spare)
        other.release()
        h.clock.advance(by: .seconds(11))
        #expect(h.accountLoad(1) == 0)
        let index = try h.acquire(user: 1, content: 42, candidates: [best, spare])
        #expect(index.reused && index.candidate == spare)
        probe.release()
        index.release()
        h.clock.advance(by: .seconds(5))
        let seek = try h.acquire(user: 1, content: 42, candidates: [best, spare])
        #expect(seek.reused && seek.candidate == spare)
    }

    // MARK: End is structural

    @Test func releaseIsIdempotent() throws {
        let h = SlotHarness()
        let a = try h.acquire(content: 42, candidates: [alpha])
        let b = try h.acquire(content: 42, candidates: [alpha])
        a.release()
        a.release()
        a.release()
        #expect(a.isReleased)
        #expect(h.core.snapshotNow().slots.map(\.inFlight) == [1])
        #expect(h.core.snapshotNow().slots.map(\.lingering) == [false])
        b.release()
        b.release()
        #expect(h.core.snapshotNow().slots.map(\.inFlight) == [0])
        #expect(h.violations.isEmpty)
    }

    @Test func droppedLeaseReleasesItself() throws {
        let h = SlotHarness()
        _ = try h.acquire(content: 42, candidates: [alpha])
        #expect(h.core.snapshotNow().slots.map(\.inFlight) == [0])

        // A response body closure that the framework drops without running.
        var body: (@Sendable () -> Void)? = try {
            let lease = try h.acquire(user: 2, ip: "10.0.0.2", content: 7, candidates: [slotAccount(2, "Beta")])
            return { lease.release() }
        }()
        #expect(h.accountLoad(2) == 1)
        #expect(h.core.snapshotNow().slots.first { $0.accountID == 2 }?.inFlight == 1)
        body = nil
        _ = body
        #expect(h.core.snapshotNow().slots.first { $0.accountID == 2 }?.inFlight == 0)

        h.clock.advance(by: .seconds(10))
        let snap = h.core.snapshotNow()
        #expect(snap.slots.isEmpty)
        #expect(snap.accounts.allSatisfy { $0.load == 0 })
        #expect(snap.users.allSatisfy { $0.load == 0 })
        #expect(h.violations.isEmpty)
    }

    // MARK: HEAD

    @Test func headSlotLingersForTheFollowingGet() throws {
        let h = SlotHarness()
        let head = try h.acquire(content: 42, candidates: [alpha], head: true)
        #expect(head.isHead && !head.reused)
        head.release()
        h.clock.advance(by: .seconds(2))
        #expect(h.refusal(user: 2, ip: "10.0.0.2", content: 7, candidates: [alpha]) == .noCapacity(accounts: ["Alpha"]))
        let get = try h.acquire(content: 42, candidates: [alpha])
        #expect(get.reused && get.slotID == head.slotID)
        #expect(h.accountLoad(1) == 1)
        #expect(!h.logs.lines(containing: "(HEAD)").isEmpty)
    }

    @Test func headFollowsUserLimit() throws {
        let roomy = slotAccount(1, "Roomy", max: 5)
        let h = SlotHarness()
        let get = try h.acquire(content: 1, userMax: 1, candidates: [roomy])
        #expect(throws: SlotRefusal.userLimit(max: 1)) {
            try h.acquire(ip: "10.0.0.2", content: 2, userMax: 1, candidates: [roomy], head: true)
        }
        _ = get
    }

    // MARK: Observability

    @Test func snapshotShowsSlotsAccountsUsers() throws {
        let h = SlotHarness()
        let lease = try h.acquire(user: 7, ip: "192.0.2.1", kind: .episode, content: 42, userMax: 2, candidates: [alpha])
        lease.addBytes(1000)
        lease.addBytes(24)
        h.clock.advance(by: .seconds(3))
        let snap = h.core.snapshotNow()
        let slot = try #require(snap.slots.first)
        #expect(slot.viewer == ViewerKey(userID: 7, clientIP: "192.0.2.1", kind: .episode, contentID: 42))
        #expect(slot.accountID == 1 && slot.accountName == "Alpha" && slot.relationID == 100)
        #expect(slot.inFlight == 1 && !slot.lingering && slot.bytesSent == 1024)
        #expect(slot.ageSeconds == 3 && slot.idleSeconds == 3)
        #expect(snap.accounts == [.init(id: 1, name: "Alpha", load: 1, maxConnections: 1, backoffSeconds: nil)])
        #expect(snap.users == [.init(id: 7, load: 1, maxConnections: 2)])

        let json = String(decoding: try JSONEncoder().encode(snap), as: UTF8.self)
        for key in ["\"in_flight\"", "\"bytes_sent\"", "\"max_connections\"", "\"client_ip\"", "\"age_seconds\""] {
            #expect(json.contains(key))
        }
        #expect(try JSONDecoder().decode(SlotSnapshot.self, from: Data(json.utf8)) == snap)

        lease.release()
        h.clock.advance(by: .seconds(10))
        let after = h.core.snapshotNow()
        #expect(after.slots.isEmpty)
        #expect(after.accounts.map(\.load) == [0], "accounts that had a slot stay listed")
        #expect(after.users.map(\.load) == [0])
    }

    @Test func invariantCheckDetectsOverload() {
        // The concurrency test relies on this check; show that it can fail.
        var st = SlotTable()
        let now = ContinuousClock.now
        for id in Int64(1)...2 {
            let key = ViewerKey(userID: id, clientIP: "10.0.0.\(id)", kind: .movie, contentID: id)
            st.slots[id] = .init(
                id: id, key: key, candidate: alpha, candidates: [alpha], createdAt: now)
            st.byKey[key] = id
            st.byAccount[1, default: []].append(id)
            st.byUser[id, default: []].append(id)
        }
        st.knownAccounts[1] = .init(name: "Alpha", maxConnections: 1)
        #expect(st.invariantViolations(now: now) == ["account 1 has 2 live slots, max_connections 1"])
    }
}
