import Testing
@testable import XCServerKit

@Suite struct LiveReconnectTests {
    @Test func theSameRelationFirstThenTheNextThenGiveUp() {
        var reconnect = LiveReconnect(policy: .init(attemptsPerRelation: 2, maxAttempts: 5), relations: 2)
        #expect(reconnect.lost() == .reopen(relation: 0, attempt: 1))
        #expect(reconnect.lost() == .reopen(relation: 0, attempt: 2))
        #expect(reconnect.lost() == .reopen(relation: 1, attempt: 3))
        #expect(reconnect.lost() == .reopen(relation: 1, attempt: 4))
        #expect(reconnect.lost() == .reopen(relation: 0, attempt: 5))
        #expect(reconnect.lost() == .giveUp)
    }

    @Test func aRefusedRelationIsLeftAtOnceAndAHealthyStretchResetsTheCount() {
        var reconnect = LiveReconnect(policy: .init(attemptsPerRelation: 2, maxAttempts: 3), relations: 3, startingAt: 1)
        #expect(reconnect.lost(refused: true) == .reopen(relation: 2, attempt: 1))
        #expect(reconnect.lost() == .reopen(relation: 2, attempt: 2))
        reconnect.healthy()
        for attempt in 1...3 { #expect(reconnect.lost() != .giveUp, "attempt \(attempt) after a healthy stretch") }
        #expect(reconnect.lost() == .giveUp)
    }

    @Test func aSingleRelationThatRefusesEndsTheChannel() {
        var reconnect = LiveReconnect(relations: 1)
        #expect(reconnect.lost() == .reopen(relation: 0, attempt: 1))
        #expect(reconnect.lost(refused: true) == .giveUp)
    }
}
