import Foundation
import Testing
@testable import XCServerKit

/// The web page's session rules, on instants given by hand: idle expiry, the bound on sessions, sign-out.
@Suite struct AdminSessionTableTests {
    let start = ContinuousClock.now
    func session(_ n: Int) -> AdminSessionTable.Session { .init(id: "id\(n)", csrf: "csrf\(n)") }

    @Test func aSessionLivesWhileUsedAndEndsAfterTheIdleLimit() {
        var table = AdminSessionTable(idleLimit: .seconds(60), capacity: 4)
        table.open(session(1), now: start)
        #expect(table.touch("id1", now: start + .seconds(50)) == session(1))
        // Using it restarts the idle time: 50 s after the last use, not 100 s after the start.
        #expect(table.touch("id1", now: start + .seconds(100)) == session(1))
        #expect(table.touch("id1", now: start + .seconds(161)) == nil)
        #expect(table.count == 0, "an expired session is forgotten")
        #expect(table.touch("nope", now: start) == nil)
    }

    @Test func signingInAgainAndAgainKeepsAtMostCapacitySessions() {
        var table = AdminSessionTable(idleLimit: .seconds(3600), capacity: 3)
        for n in 1...3 { table.open(session(n), now: start + .seconds(n)) }
        _ = table.touch("id1", now: start + .seconds(10))
        table.open(session(4), now: start + .seconds(11))
        #expect(table.count == 3)
        #expect(table.touch("id2", now: start + .seconds(12)) == nil, "the least recently used one made room")
        #expect(table.touch("id1", now: start + .seconds(12)) == session(1))
        #expect(table.touch("id4", now: start + .seconds(12)) == session(4))
    }

    @Test func signOutEndsOnlyThatSession() {
        var table = AdminSessionTable(idleLimit: .seconds(60), capacity: 4)
        table.open(session(1), now: start)
        table.open(session(2), now: start)
        table.close("id1")
        #expect(table.touch("id1", now: start) == nil)
        #expect(table.touch("id2", now: start) == session(2))
    }

    @Test func tokensAreLongRandomHex() {
        let tokens = (0..<50).map { _ in AdminSessions.randomToken() }
        #expect(Set(tokens).count == 50)
        #expect(tokens.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test func eventFramesSkipRepeatsAndKeepOneEventPerLine() {
        var frames = EventFrames()
        let first = frames.frames(["jobs": Array(#"{"jobs":[]}"#.utf8), "connections": Array(#"{"slots":[]}"#.utf8)])
        #expect(first == "event: connections\ndata: {\"slots\":[]}\n\nevent: jobs\ndata: {\"jobs\":[]}\n\n")
        #expect(frames.frames(["jobs": Array(#"{"jobs":[]}"#.utf8), "connections": Array(#"{"slots":[]}"#.utf8)]) == "")
        #expect(frames.frames(["jobs": Array(#"{"jobs":[1]}"#.utf8), "connections": Array(#"{"slots":[]}"#.utf8)])
            == "event: jobs\ndata: {\"jobs\":[1]}\n\n")
    }

    @Test func formFieldsAreDecoded() {
        #expect(AdminPage.formFields("token=a%2Bb+c&x=1&bad") == ["token": "a+b c", "x": "1"])
    }
}
