import Foundation
import Synchronization
import Testing

@testable import XCServerKit

@Suite("Slot core: randomized concurrency")
struct SlotConcurrencyTests {
    enum Ending: CaseIterable, Sendable { case release, releaseTwice, drop }

    /// One simulated client request burst: a viewing's first request plus 0–2 siblings (TiviMate), some failing
    /// upstream, some delivering a head, ending in any of the ways a request ends.
    struct Plan: Sendable {
        var user: Int64
        var ip: String
        var kind: ContentKind
        var content: Int64
        var siblings: Int
        var failure: FailoverReason?
        var deliverHead: Bool
        var bytes: Int
        var holdYields: Int
        var ending: Ending
        var advanceMillis: Int
    }

    struct Stats: Sendable {
        var admitted = 0
        var reused = 0
        var refused: [String: Int] = [:]
        var failoversMoved = 0
        var failoversRefused = 0
        var snapshotOverloads: [String] = []
        var violationsAtAcquire: [String] = []
    }

    final class Box: Sendable {
        let stats = Mutex(Stats())
        func withLock<R: Sendable>(_ body: (inout Stats) -> R) -> R { stats.withLock { body(&$0) } }
    }


    static let userMax: [Int64: Int] = [1: 1, 2: 2, 3: 3, 4: 1, 5: 2, 6: 3, 7: 1, 8: 2]

    @Test(arguments: [UInt64(0x5107_5EED), 0xC0FF_EE00, 42])
    func randomizedRequestsNeverOverloadAndLeaveNoLoad(seed: UInt64) async throws {
        let h = SlotHarness()
        var rng = SplitMix64(seed: seed)
        let accounts: [SlotCandidate] = (Int64(1)...5).map { id in
            slotAccount(id, "acct\(id)", priority: Int.random(in: 0...2, using: &rng), max: Int(id % 3) + 1)
        }
        // Each title is held by two or three accounts, each with its own relation.
        let holders: [Int64: [SlotCandidate]] = Dictionary(
            uniqueKeysWithValues: (Int64(1)...8).map { content in
                let picked = accounts.shuffled(using: &rng).prefix(Int.random(in: 2...3, using: &rng))
                return (
                    content,
                    picked.map { c in
                        var c = c
                        c.relationID = content * 100 + c.accountID
                        return c
                    }
                )
            })
        let reasons: [FailoverReason] = [.connectError, .timeout, .status(502), .status(503), .status(403), .status(458)]
        let plans: [Plan] = (0..<600).map { _ in
            Plan(
                user: Int64.random(in: 1...8, using: &rng),
                ip: ["10.0.0.1", "10.0.0.2"].randomElement(using: &rng)!,
                kind: Bool.random(using: &rng) ? .movie : .episode,
                content: Int64.random(in: 1...8, using: &rng),
                siblings: Int.random(in: 0...2, using: &rng),
                failure: Int.random(in: 0..<3, using: &rng) == 0 ? reasons.randomElement(using: &rng) : nil,
                deliverHead: Bool.random(using: &rng),
                bytes: Int.random(in: 0...65536, using: &rng),
                holdYields: Int.random(in: 0...6, using: &rng),
                ending: Ending.allCases.randomElement(using: &rng)!,
                advanceMillis: Int.random(in: 0..<10, using: &rng) < 4 ? Int.random(in: 200...4000, using: &rng) : 0)
        }

        let stats = Box()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = plans[...]
            let width = 12
            for _ in 0..<width {
                guard let plan = pending.popFirst() else { break }
                group.addTask { await Self.run(plan, h: h, candidates: holders[plan.content]!, stats: stats) }
            }
            while try await group.next() != nil {
                guard let plan = pending.popFirst() else { continue }
                group.addTask { await Self.run(plan, h: h, candidates: holders[plan.content]!, stats: stats) }
            }
        }

        let s = stats.withLock { $0 }
        #expect(s.violationsAtAcquire.isEmpty)
        #expect(s.snapshotOverloads.isEmpty)
        #expect(h.violations.isEmpty, "checked inside the lock after every mutation")
        // The run must have exercised the interesting paths, or it proves nothing.
        #expect(s.admitted > 200)
        #expect(s.reused > 100)
        #expect(s.refused.values.reduce(0, +) > 100)
        #expect(s.failoversMoved > 0 && s.failoversRefused > 0)
        #expect(!h.logs.lines(containing: "[slots] zapped").isEmpty)

        h.clock.advance(by: .seconds(10))
        let snap = h.core.snapshotNow()
        #expect(snap.slots.isEmpty)
        #expect(!snap.accounts.isEmpty && snap.accounts.allSatisfy { $0.load == 0 })
        #expect(!snap.users.isEmpty && snap.users.allSatisfy { $0.load == 0 })
        #expect(h.violations.isEmpty)
    }

    static func run(_ p: Plan, h: SlotHarness, candidates: [SlotCandidate], stats: Box) async {
        if p.advanceMillis > 0 { h.clock.advance(by: .milliseconds(p.advanceMillis)) }
        let request = SlotRequest(
            key: ViewerKey(userID: p.user, clientIP: p.ip, kind: p.kind, contentID: p.content),
            userMaxConnections: userMax[p.user]!, candidates: candidates, isHead: p.siblings == 0 && p.deliverHead)
        var leases: [SlotLease] = []
        for _ in 0...p.siblings {
            do {
                let lease = try await h.core.acquire(request)
                leases.append(lease)
                let violations = h.core.invariantViolations()
                stats.withLock {
                    $0.admitted += 1
                    if lease.reused { $0.reused += 1 }
                    $0.violationsAtAcquire += violations
                }
            } catch {
                stats.withLock { $0.refused["\(error)", default: 0] += 1 }
            }
            await Task.yield()
        }
        if Int(p.content) % 4 == 0 {
            let snap = await h.core.snapshot()
            let overloads = snap.accounts.filter { $0.load > $0.maxConnections }.map { "\($0.name) \($0.load)" }
            stats.withLock { $0.snapshotOverloads += overloads }
        }
        for lease in leases {
            if let failure = p.failure {
                do {
                    _ = try lease.failover(reason: failure)
                    stats.withLock { $0.failoversMoved += 1 }
                } catch {
                    stats.withLock { $0.failoversRefused += 1 }
                }
            }
            if p.deliverHead { lease.headDelivered() }
            lease.addBytes(p.bytes)
            for _ in 0..<p.holdYields { await Task.yield() }
        }
        switch p.ending {
        case .release:
            for lease in leases { lease.release() }
        case .releaseTwice:
            for lease in leases {
                lease.release()
                lease.release()
            }
        case .drop:
            leases.removeAll()  // aborted: deinit is the only release
        }
    }
}
