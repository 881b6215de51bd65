import Testing
@testable import XCServerKit

/// The failure memory of lazy fetches, as a pure value: time is an argument, nothing sleeps.
@Suite struct FetchBackoffTests {
    let t0 = ContinuousClock.now
    let policy = FetchBackoffPolicy(firstBackoff: .seconds(30), maxBackoff: .seconds(3600), breakerThreshold: 3)
    let series501 = FetchKey(accountID: 1, kind: .episodes, item: 501)
    let movie10001 = FetchKey(accountID: 1, kind: .vodInfo, item: 10001)

    func key(_ item: Int64, account: Int64 = 1, kind: FetchKind = .episodes) -> FetchKey {
        FetchKey(accountID: account, kind: kind, item: item)
    }

    @Test func backoffDoublesFromTheFirstPauseUpToTheMaximum() {
        let pauses = (1...10).map { policy.backoff(afterFailures: $0) }
        #expect(pauses == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600].map { Duration.seconds($0) })
    }

    @Test func aFailedItemIsNotAskedAgainBeforeItsBackoffAndAClientBurstCountsAsSkipped() {
        var memory = FetchBackoff(policy: policy)
        #expect(memory.decide(series501, now: t0) == .fetch)
        #expect(memory.finished(series501, succeeded: false, probe: false, now: t0) == [.itemFailing(series501, backoff: .seconds(30))])
        for second in 0..<30 {
            #expect(memory.decide(series501, now: t0 + .seconds(second)) == .backingOff(until: t0 + .seconds(30)))
        }
        #expect(memory.decide(movie10001, now: t0) == .fetch, "another item of the same account is still asked")
        #expect(memory.decide(series501, now: t0 + .seconds(30)) == .fetch)
        #expect(memory.finished(series501, succeeded: false, probe: false, now: t0 + .seconds(30))
            == [.itemStillFailing(series501, failures: 2, backoff: .seconds(60))])
        #expect(memory.decide(series501, now: t0 + .seconds(89)) == .backingOff(until: t0 + .seconds(90)))
        #expect(memory.decide(series501, now: t0 + .seconds(90)) == .fetch)
        #expect(memory.finished(series501, succeeded: true, probe: false, now: t0 + .seconds(90))
            == [.itemRecovered(series501, failures: 2, skipped: 31)])
        #expect(memory.decide(series501, now: t0 + .seconds(91)) == .fetch, "a success forgets the item")
    }

    @Test func theBreakerOpensAfterFailuresInARowOfAnyKindAndClosesAfterAProbeSucceeds() {
        var memory = FetchBackoff(policy: policy)
        var events: [FetchBackoff.Event] = []
        for (i, kind) in [FetchKind.episodes, .vodInfo, .episodes].enumerated() {
            #expect(memory.decide(key(Int64(i), kind: kind), now: t0) == .fetch)
            events += memory.finished(key(Int64(i), kind: kind), succeeded: false, probe: false, now: t0)
        }
        #expect(events.last == .breakerOpened(accountID: 1, failures: 3, pause: .seconds(30)))
        #expect(memory.breakerIsOpen(accountID: 1))
        #expect(memory.decide(key(99), now: t0 + .seconds(29)) == .breakerOpen(until: t0 + .seconds(30)), "an item never tried is not asked either")
        #expect(memory.decide(key(99, account: 2), now: t0) == .fetch, "other accounts are not affected")

        // After the pause one request probes; the others keep being answered from the store meanwhile.
        #expect(memory.decide(key(99), now: t0 + .seconds(30)) == .probe)
        #expect(memory.decide(key(98), now: t0 + .seconds(31)) == .breakerOpen(until: t0 + .seconds(30)))
        #expect(memory.finished(key(99), succeeded: false, probe: true, now: t0 + .seconds(32)).last
            == .probeFailed(accountID: 1, probes: 1, pause: .seconds(60)))
        #expect(memory.decide(key(98), now: t0 + .seconds(91)) == .breakerOpen(until: t0 + .seconds(92)))
        #expect(memory.decide(key(98), now: t0 + .seconds(92)) == .probe)
        #expect(memory.finished(key(98), succeeded: true, probe: true, now: t0 + .seconds(93))
            == [.breakerClosed(accountID: 1, skipped: 3)])
        #expect(!memory.breakerIsOpen(accountID: 1))
        #expect(memory.decide(key(97), now: t0 + .seconds(93)) == .fetch)
        #expect(memory.decide(key(0), now: t0 + .seconds(40)) == .fetch, "item 0's own back-off has passed")
    }

    @Test func aSuccessBetweenFailuresResetsTheCountInARow() {
        var memory = FetchBackoff(policy: policy)
        for i in 0..<10 {
            _ = memory.decide(key(Int64(i)), now: t0)
            let events = memory.finished(key(Int64(i)), succeeded: i % 2 == 0, probe: false, now: t0)
            #expect(!events.contains { if case .breakerOpened = $0 { return true } else { return false } })
        }
        #expect(!memory.breakerIsOpen(accountID: 1))
    }

    @Test func aFetchQueuedWhenTheBreakerOpensIsWithdrawnButAProbeIsNot() {
        var memory = FetchBackoff(policy: policy)
        // Five fetches admitted at once (a burst of clients on five series), all queued at the gate.
        for i in 0..<5 { #expect(memory.decide(key(Int64(i)), now: t0) == .fetch) }
        for i in 0..<3 {
            let wanted = memory.stillWanted(key(Int64(i)), probe: false)
            #expect(wanted)
            _ = memory.finished(key(Int64(i)), succeeded: false, probe: false, now: t0)
        }
        let third = memory.stillWanted(key(3), probe: false)
        let fourth = memory.stillWanted(key(4), probe: false)
        #expect(!third && !fourth, "the breaker opened while they waited")
        #expect(memory.decide(key(5), now: t0 + .seconds(30)) == .probe)
        let probe = memory.stillWanted(key(5), probe: true)
        #expect(probe)
        memory.probeWithdrawn(accountID: 1)
        #expect(memory.decide(key(6), now: t0 + .seconds(30)) == .probe, "a withdrawn probe frees the place for the next one")
    }

    @Test func onlyTheFirstFailureOfAnItemIsAnEventWorthALine() {
        var memory = FetchBackoff(policy: FetchBackoffPolicy(firstBackoff: .seconds(1), maxBackoff: .seconds(4), breakerThreshold: 100))
        var lines = 0
        var now = t0
        for _ in 0..<1000 {
            now += .milliseconds(100)
            guard memory.decide(series501, now: now).admitted else { continue }
            for event in memory.finished(series501, succeeded: false, probe: false, now: now) {
                if case .itemFailing = event { lines += 1 }
            }
        }
        #expect(lines == 1)
    }
}
