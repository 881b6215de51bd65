import NIOCore
import Testing
@testable import XCServerKit

/// The fan-out shell with real tasks: viewers suspended on `next` are woken by the reader, a viewer that
/// does not read never holds back the others, and cancellation and `finish` end every wait.
@Suite struct LiveFanoutTests {
    /// Lock-step with the reader: every chunk waits on three task wake-ups, which on two loaded cores can
    /// take tens of milliseconds each. So the stream is short (still 12 rings long) and the bound generous.
    @Test(.timeLimit(.minutes(5)))
    func viewersThatKeepUpGetEveryByteWhileAStalledOneIsMovedForward() async {
        let fanout = LiveFanout(policy: .init(capacity: 188 * 50, maxJumps: 1000))
        let bytes = LiveRingTests.stream(packets: 600)
        let stalled = fanout.join()
        let viewers = (0..<3).map { _ in fanout.join() }
        // Each fast viewer reports how many bytes it has; the reader appends the next chunk once all three
        // have the last one, as a steady bit rate would let them. Nothing waits on the stalled viewer.
        let progress = viewers.map { _ in AsyncStream<Int>.makeStream() }
        let received = await withTaskGroup(of: [UInt8].self) { group in
            for (index, id) in viewers.enumerated() {
                let report = progress[index].continuation
                group.addTask {
                    var got: [UInt8] = []
                    defer { report.finish() }
                    while got.count < bytes.count {
                        guard case .bytes(let slices) = await fanout.next(id, maxBytes: 1 << 16) else { break }
                        for slice in slices { got += slice.readableBytesView }
                        report.yield(got.count)
                    }
                    return got
                }
            }
            var reports = progress.map { $0.stream.makeAsyncIterator() }
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 1316)
                fanout.append(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
                for index in reports.indices {
                    while let have = await reports[index].next(), have < offset {}
                }
                // Bounded: the ring never holds more than its capacity, whatever the stalled viewer does.
                #expect(fanout.snapshot.fill <= 188 * 50 + 1316)
            }
            var all: [[UInt8]] = []
            for await got in group { all.append(got) }
            return all
        }
        #expect(received.count == 3)
        for got in received {
            // A Bool, not the arrays: on failure Swift Testing would diff two 560 KB arrays for minutes.
            let same = got == bytes
            #expect(same, "every viewer that keeps up gets every byte, in order (\(got.count) of \(bytes.count))")
        }
        guard case .movedForward(let skipped, _) = await fanout.next(stalled, maxBytes: 188) else {
            Issue.record("the stalled viewer should have been moved forward")
            return
        }
        #expect(skipped > Int64(bytes.count - 188 * 50 - 1316))
    }

    @Test(.timeLimit(.minutes(1))) func aWaitingViewerIsWokenByCancellationAndByTheEndOfTheUpstream() async {
        let fanout = LiveFanout(policy: .init(capacity: 1 << 20, maxJumps: 3))
        let first = fanout.join()
        let second = fanout.join()
        let cancelled = Task { await fanout.next(first, maxBytes: 100) }
        let ended = Task { await fanout.next(second, maxBytes: 100) }
        // Neither can have anything yet; cancelling one must not wake the other.
        cancelled.cancel()
        #expect(await cancelled.value == .dropped)
        fanout.append(ByteBuffer(bytes: LiveRingTests.packet(pid: 256, serial: 1)))
        guard case .bytes(let slices) = await ended.value else {
            Issue.record("an append should wake the waiting viewer")
            return
        }
        #expect(slices.reduce(0) { $0 + $1.readableBytes } == 100)
        fanout.finish()
        // What is still held is delivered, then the viewer ends.
        guard case .bytes = await fanout.next(second, maxBytes: 1000) else {
            Issue.record("the rest of the ring should still be delivered after finish")
            return
        }
        #expect(await fanout.next(second, maxBytes: 1000) == .dropped)
        #expect(fanout.snapshot.viewers.isEmpty)
    }
}
