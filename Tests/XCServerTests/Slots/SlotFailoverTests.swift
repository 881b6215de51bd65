import Foundation
import Testing

@testable import XCServerKit

@Suite("Slot core: failover and pinning")
struct SlotFailoverTests {
    let primary = slotAccount(1, "Primary", priority: 10)
    let backup = slotAccount(2, "Backup", priority: 0)

    @Test func failoverBeforeHeadMovesTheSlot() throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(lease.candidate == primary)
        let next = try lease.failover(reason: .status(503))
        #expect(next == backup && lease.candidate == backup)
        let snap = h.core.snapshotNow()
        #expect(snap.slots.map(\.accountID) == [2])
        #expect(snap.account(1)?.load == 0 && snap.account(2)?.load == 1)
        let lines = h.logs.lines(containing: "[slots] failover from 'Primary'")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("to 'Backup'") == true && lines.first?.contains("HTTP 503") == true)

        // Later requests of the viewing go to the relation it moved to.
        let seek = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(seek.reused && seek.candidate == backup)
        #expect(seek.headDelivered())

        // A 5xx is not a refusal: the next viewing may use the primary again.
        let other = try h.acquire(user: 2, ip: "10.0.0.2", content: 7, candidates: [primary, backup])
        #expect(other.candidate == primary)
        #expect(h.violations.isEmpty)
    }

    @Test func refusalBacksOffTheAccountForTheNextViewing() throws {
        let h = SlotHarness(backoff: .seconds(30))
        let first = try h.acquire(user: 1, content: 42, candidates: [primary, backup])
        #expect(try first.failover(reason: .status(458)) == backup)
        #expect(!h.logs.lines(containing: "Primary backed off").isEmpty)
        first.release()
        h.clock.advance(by: .seconds(11))
        #expect(h.accountLoad(2) == 0)

        let second = try h.acquire(user: 2, ip: "10.0.0.2", content: 43, candidates: [primary, backup])
        #expect(second.candidate == backup, "the refusing account is skipped although it is free")
        #expect(h.core.snapshotNow().account(1)?.backoffSeconds == 19)
        second.release()

        h.clock.advance(by: .seconds(19))
        let third = try h.acquire(user: 3, ip: "10.0.0.3", content: 44, candidates: [primary, backup])
        #expect(third.candidate == primary, "the back-off is over")
        #expect(h.violations.isEmpty)
    }

    @Test func backedOffOnlyAccountRefusesWithNoCapacity() throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        _ = try lease.failover(reason: .status(401))
        lease.release()
        #expect(
            h.refusal(user: 2, ip: "10.0.0.2", content: 7, candidates: [primary])
                == .noCapacity(accounts: ["Primary"]))
    }

    @Test(arguments: [401, 403, 404, 458, 509])
    func refusalStatusesBackOff(status: Int) throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        _ = try lease.failover(reason: .status(status))
        #expect(h.core.snapshotNow().account(1)?.backoffSeconds != nil)
    }

    @Test(arguments: [FailoverReason.connectError, .timeout, .status(500), .status(502), .status(503)])
    func otherFailuresDoNotBackOff(reason: FailoverReason) throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(try lease.failover(reason: reason) == backup)
        #expect(h.core.snapshotNow().account(1) == nil || h.core.snapshotNow().account(1)?.backoffSeconds == nil)
    }

    @Test func failoverAfterHeadIsNotMovable() throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(lease.headDelivered())
        #expect(throws: SlotRefusal.notMovable) { try lease.failover(reason: .status(503)) }
        #expect(lease.candidate == primary)

        // Any request of the viewing having delivered a head pins all of them.
        let sibling = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(throws: SlotRefusal.notMovable) { try sibling.failover(reason: .timeout) }
        #expect(h.core.snapshotNow().slots.map(\.accountID) == [1])
        #expect(!h.logs.lines(containing: "viewing is pinned").isEmpty)
    }

    @Test func headOfLingeringViewingStillPins() throws {
        let h = SlotHarness()
        let first = try h.acquire(content: 42, candidates: [primary, backup], head: true)
        first.headDelivered()
        first.release()
        h.clock.advance(by: .seconds(5))
        let get = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(get.reused)
        #expect(throws: SlotRefusal.notMovable) { try get.failover(reason: .status(503)) }
    }

    @Test func failoverAfterReleaseIsNotMovable() throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        lease.release()
        #expect(throws: SlotRefusal.notMovable) { try lease.failover(reason: .connectError) }
        #expect(!lease.headDelivered())
    }

    @Test func siblingOfMovedViewingFollowsIt() throws {
        let h = SlotHarness()
        let probe = try h.acquire(content: 42, candidates: [primary, backup])
        let index = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(try probe.failover(reason: .connectError) == backup)
        #expect(!index.headDelivered(), "index still talks to the old relation: its head must not be sent")
        #expect(try index.failover(reason: .connectError) == backup)
        #expect(index.headDelivered())
        #expect(h.accountLoad(1) == 0 && h.accountLoad(2) == 1)
        #expect(h.violations.isEmpty)
    }

    @Test func failoverWithNowhereToGoKeepsTheSlot() throws {
        let h = SlotHarness()
        let solo = try h.acquire(user: 1, content: 42, candidates: [primary])
        #expect(throws: SlotRefusal.noCandidates) { try solo.failover(reason: .status(503)) }
        #expect(solo.candidate == primary)
        #expect(h.core.snapshotNow().slots.first { $0.viewer.userID == 1 }?.accountID == 1)

        let blocker = try h.acquire(user: 2, ip: "10.0.0.2", content: 9, candidates: [backup])
        let other = try h.acquire(user: 3, ip: "10.0.0.3", content: 43, candidates: [slotAccount(3, "Third"), backup])
        #expect(throws: SlotRefusal.noCapacity(accounts: ["Backup"])) { try other.failover(reason: .timeout) }
        #expect(other.candidate.accountID == 3)
        _ = blocker
        #expect(h.violations.isEmpty)
    }

    @Test func failoverNeverReturnsToAFailedAccount() throws {
        let h = SlotHarness()
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        #expect(try lease.failover(reason: .status(500)) == backup)
        #expect(throws: SlotRefusal.noCandidates) { try lease.failover(reason: .status(500)) }
        #expect(lease.candidate == backup)
    }

    @Test func playbackSucceedsFromSecondAccountAfterRefusal() throws {
        // The spec's failover property, from the route's side: try, fail before head, retry where told.
        let h = SlotHarness()
        let refusing: Set<Int64> = [1]
        let lease = try h.acquire(content: 42, candidates: [primary, backup])
        var target = lease.candidate
        var attempts = 0
        while refusing.contains(target.accountID) {
            attempts += 1
            target = try lease.failover(reason: .status(403))
        }
        #expect(target == backup && attempts == 1)
        #expect(lease.headDelivered())
        lease.addBytes(4096)
        lease.release()
        let snap = h.core.snapshotNow()
        #expect(snap.slots.map(\.bytesSent) == [4096])
        #expect(snap.slots.map(\.accountID) == [2])
    }
}
