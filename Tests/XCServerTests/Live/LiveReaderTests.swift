import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import XCServerKit

/// The live reader shell: losses (end, stall, refusal) reopen by `LiveReconnect`'s rules while the viewer's
/// bytes run on, and a cancelled reader finishes the fan-out.
@Suite struct LiveReaderTests {
    typealias Body = AsyncThrowingStream<ByteBuffer, any Error>

    /// Streams kept open (a stalled upstream) until the test ends.
    final class Held: Sendable {
        let continuations = NIOLockedValueBox<[Body.Continuation]>([])
        func stalled() -> Body {
            let (stream, continuation) = Body.makeStream()
            continuations.withLockedValue { $0.append(continuation) }
            return stream
        }
        deinit { for continuation in continuations.withLockedValue({ $0 }) { continuation.finish() } }
    }

    static func reader(stall: Duration = .milliseconds(300)) -> LiveReader {
        LiveReader(stallTimeout: stall, healthyAfter: .seconds(3600),
                   policy: .init(attemptsPerRelation: 1, maxAttempts: 3), logger: Logger(label: "test"))
    }

    @Test(.timeLimit(.minutes(1))) func endsAndStallsReopenSameThenNextAndTheViewerSeesOneRun() async {
        let fanout = LiveFanout(policy: .init(capacity: 1 << 20, maxJumps: 1))
        let viewer = fanout.join()
        let held = Held()
        let opens = NIOLockedValueBox<[Int]>([])
        let losses = NIOLockedValueBox<[String]>([])
        let outcome = await Self.reader().run(into: fanout, relations: 2, open: { relation in
            let serial = opens.withLockedValue { $0.append(relation); return $0.count }
            if relation == 1 { return held.stalled() }
            let (stream, continuation) = Body.makeStream()
            for index in 0..<2 {
                continuation.yield(ByteBuffer(bytes: LiveRingTests.packet(pid: 256, serial: UInt8(serial * 10 + index))))
            }
            continuation.finish()
            return stream
        }, lost: { relation, loss in losses.withLockedValue { $0.append("\(relation):\(loss)") } })
        #expect(outcome == .gaveUp(attempts: 3))
        #expect(opens.withLockedValue { $0 } == [0, 0, 1, 0])
        #expect(losses.withLockedValue { $0 } == ["0:ended", "0:ended", "1:stalled", "0:ended"])
        var got: [UInt8] = []
        while case .bytes(let slices) = await fanout.next(viewer, maxBytes: 1 << 20) {
            for slice in slices { got += slice.readableBytesView }
        }
        let serials = stride(from: 0, to: got.count, by: 188).map { got[$0 + 10] }
        #expect(serials == [10, 11, 20, 21, 40, 41], "every delivered packet, in order, across reopens")
    }

    @Test(.timeLimit(.minutes(1))) func aRefusalMovesOnAndCancellingTheReaderEndsItsViewers() async {
        let fanout = LiveFanout(policy: .init(capacity: 1 << 20, maxJumps: 1))
        let viewer = fanout.join()
        let held = Held()
        let opens = NIOLockedValueBox<[Int]>([])
        let reading = Task {
            await Self.reader(stall: .seconds(3600)).run(into: fanout, relations: 2, open: { relation in
                opens.withLockedValue { $0.append(relation) }
                if relation == 0 { throw LiveReader.Refused(reason: "account full") }
                let stream = held.stalled()
                held.continuations.withLockedValue {
                    $0.last?.yield(ByteBuffer(bytes: LiveRingTests.packet(pid: 256, serial: 7)))
                }
                return stream
            })
        }
        guard case .bytes = await fanout.next(viewer, maxBytes: 1 << 20) else {
            Issue.record("the viewer should get the second relation's bytes")
            return
        }
        #expect(opens.withLockedValue { $0 } == [0, 1], "a refused relation is left at once")
        reading.cancel()
        #expect(await reading.value == .cancelled)
        #expect(await fanout.next(viewer, maxBytes: 100) == .dropped, "the channel closed: its viewers end")
    }
}
