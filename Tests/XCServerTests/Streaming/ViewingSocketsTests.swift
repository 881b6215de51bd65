import Foundation
import Logging
import Testing

@testable import XCServerKit

/// `ViewingSockets` on its own: a slot core in this process and sockets that are never opened (nothing
/// listens at their address), so only the order of closes and waits is under test.
@Suite struct ViewingSocketsTests {
    /// A new viewing's first requests arrive together (Jellyfin's three probes). The one that closes the
    /// ended viewing's socket waits the settle time before its own socket; so must the others, or one of them
    /// opens the viewing's socket at once while the provider still counts the closed one (a refusal seen in
    /// `SocketLimitTests.mpvPatternAndConcurrentProbesUseOneSocket`). Lower bounds only: sleeping never ends early.
    @Test func everyRequestOfANewViewingWaitsTheSettleAfterAnEndedViewingsSocketCloses() async throws {
        let core = InProcessSlotCore(grace: .zero)  // a released slot ends at once
        let settle = Duration.seconds(1)
        let sockets = ViewingSockets(slots: core, readBudget: StreamReadBudget(), openTimeout: .seconds(5), settle: settle,
                                     logger: Logger(label: "test"))
        let alpha = slotAccount(1, "alpha", max: 1)
        func target(_ stream: Int) -> StreamTarget {
            StreamTarget(candidate: alpha, baseURL: "http://127.0.0.1:9", username: "u", password: "p", userAgent: nil,
                         streamID: stream, containerExtension: "mkv", kind: .movie)
        }
        func request(_ content: Int64) -> SlotRequest {
            SlotRequest(key: ViewerKey(userID: 1, clientIP: "127.0.0.1", kind: .movie, contentID: content), userMaxConnections: 2,
                        candidates: [alpha])
        }

        let first = try core.acquireNow(request(1))
        let ended = await sockets.socket(slotID: first.slotID, target: target(1))
        first.release()
        #expect(await core.snapshot().slots.isEmpty, "the first viewing ended")

        let next = try core.acquireNow(request(2))
        let asked = ContinuousClock.now
        let answered = await withTaskGroup(of: (ContinuousClock.Instant, ObjectIdentifier).self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let socket = await sockets.socket(slotID: next.slotID, target: target(2))
                    return (ContinuousClock.now, ObjectIdentifier(socket))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (at, _) in answered {
            #expect(at - asked >= settle, "a request got its socket \(at - asked) after the ended viewing's socket closed")
        }
        #expect(Set(answered.map(\.1)).count == 1, "the viewing's requests share one socket")
        #expect(!Set(answered.map(\.1)).contains(ObjectIdentifier(ended)))
        next.release()
    }
}
