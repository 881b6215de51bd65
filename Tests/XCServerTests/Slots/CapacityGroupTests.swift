import Foundation
import Testing

@testable import XCServerKit

/// Capacity groups (docs/slots.md, "Capacity groups"): two accounts that are one provider login share one
/// limit, so xcserver never opens more connections to that login than it allows through either name.
@Suite struct CapacityGroupTests {
    static let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { Self.t0 + .milliseconds(Int((seconds * 1000).rounded())) }

    func account(_ id: Int64, _ name: String, group: String?, max: Int = 1, priority: Int = 0) -> SlotCandidate {
        SlotCandidate(accountID: id, accountName: name, relationID: id * 100, priority: priority, maxConnections: max,
                      capacityGroup: group)
    }

    func admit(_ m: inout SlotStateMachine, user: Int64, ip: String = "10.0.0.2", film: Int64,
               _ candidates: [SlotCandidate], at now: ContinuousClock.Instant) -> Result<SlotCandidate, SlotRefusal> {
        m.admit(SlotRequest(key: ViewerKey(userID: user, clientIP: ip, kind: .movie, contentID: film),
                            userMaxConnections: 2, candidates: candidates), now: now).0.map(\.candidate)
    }

    func machine() -> SlotStateMachine {
        SlotStateMachine(policy: .init(grace: .seconds(10), settle: .milliseconds(300), backoff: .seconds(30)))
    }

    @Test func twoNamesOfOneLoginShareItsLimit() {
        var m = machine()
        let main = account(1, "main-dns", group: "acme", priority: 10)
        let backup = account(2, "backup-dns", group: "acme")
        #expect(admit(&m, user: 1, film: 7, [main, backup], at: at(0)) == .success(main))
        // The first name is full; without the group the second name would open a second connection to the
        // same provider login.
        #expect(admit(&m, user: 2, ip: "10.0.0.3", film: 8, [main, backup], at: at(1))
            == .failure(.noCapacity(accounts: ["main-dns", "backup-dns"])))
        #expect(m.invariantViolations(now: at(1)).isEmpty)
    }

    @Test func withoutAGroupTheSameAccountsAreTwoLimits() {
        var m = machine()
        let main = account(1, "main-dns", group: nil, priority: 10)
        let backup = account(2, "backup-dns", group: nil)
        #expect(admit(&m, user: 1, film: 7, [main, backup], at: at(0)) == .success(main))
        #expect(admit(&m, user: 2, ip: "10.0.0.3", film: 8, [main, backup], at: at(1)) == .success(backup))
    }

    @Test func zappingOnOneNameFreesTheGroupForTheOther() throws {
        var m = machine()
        let main = account(1, "main-dns", group: "acme", priority: 10)
        let backup = account(2, "backup-dns", group: "acme")
        let (first, _) = m.admit(SlotRequest(key: ViewerKey(userID: 1, clientIP: "10.0.0.2", kind: .movie, contentID: 7),
                                             userMaxConnections: 2, candidates: [main]), now: at(0))
        _ = m.release(try first.get().slotID, now: at(1))
        // The same device moves to a film only the other name holds: its lingering film gives way.
        #expect(admit(&m, user: 1, film: 9, [backup], at: at(2)) == .success(backup))
        #expect(m.snapshot(now: at(2)).slots.count == 1)
    }

    @Test func theInvariantCheckSeesAGroupOverItsLimit() {
        var table = SlotTable()
        let now = at(0)
        for id in Int64(1)...2 {
            let candidate = account(id, "n\(id)", group: "acme")
            let key = ViewerKey(userID: id, clientIP: "10.0.0.\(id)", kind: .movie, contentID: id)
            table.insert(SlotRecord(id: id, key: key, candidate: candidate, candidates: [candidate], createdAt: now))
        }
        #expect(table.invariantViolations(now: now) == ["capacity group acme has 2 live slots, max_connections 1"])
    }
}
