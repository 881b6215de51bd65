import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import XCServerKit

/// The hub: one upstream per channel whatever the viewers, kept through the linger, closed after it or at once.
@Suite struct LiveHubTests {
    /// A reader that counts its starts and feeds one packet, then waits until cancelled.
    final class Upstreams: Sendable {
        let starts = NIOLockedValueBox(0)
        let running = NIOLockedValueBox(0)
        func start(_ fanout: LiveFanout) async {
            starts.withLockedValue { $0 += 1 }
            running.withLockedValue { $0 += 1 }
            fanout.append(ByteBuffer(bytes: LiveRingTests.packet(pid: 0, serial: 1, pat: true)))
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            running.withLockedValue { $0 -= 1 }
            fanout.finish()
        }
    }

    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    let channel = LiveHub.Channel(contentID: 5, relationID: 500)

    @Test(.timeLimit(.minutes(1))) func viewersShareOneUpstreamThatOutlivesThemByTheLinger() async {
        let hub = LiveHub(ringPolicy: .init(capacity: 1 << 20, maxJumps: 3), linger: .milliseconds(300))
        let upstreams = Upstreams()
        let first = hub.attach(channel) { await upstreams.start($0) }
        let second = hub.attach(channel) { await upstreams.start($0) }
        #expect(first.fanout === second.fanout)
        guard case .bytes = await second.fanout.next(second.viewer, maxBytes: 1000) else {
            Issue.record("the second viewer reads the shared channel")
            return
        }
        #expect(upstreams.starts.withLockedValue { $0 } == 1)
        hub.detach(first)
        hub.detach(second)
        // A reconnect within the linger finds the channel running: no second upstream.
        let again = hub.attach(channel) { await upstreams.start($0) }
        #expect(again.fanout === first.fanout && upstreams.starts.withLockedValue { $0 } == 1)
        hub.detach(again)
        #expect(await Self.eventually { upstreams.running.withLockedValue { $0 } == 0 }, "closed after the linger")
        #expect(hub.channels.isEmpty)
        _ = hub.attach(channel) { await upstreams.start($0) }
        #expect(await Self.eventually { upstreams.starts.withLockedValue { $0 } == 2 }, "a later viewer opens it afresh")
        hub.close(channel)
        #expect(await Self.eventually { upstreams.running.withLockedValue { $0 } == 0 }, "close ends it at once")
    }

    @Test(.timeLimit(.minutes(1))) func aReaderThatGaveUpLeavesNoDeadChannel() async {
        let hub = LiveHub(ringPolicy: .init(capacity: 1 << 20, maxJumps: 3), linger: .seconds(60))
        let starts = NIOLockedValueBox(0)
        let viewer = hub.attach(channel) { fanout in
            starts.withLockedValue { $0 += 1 }
            fanout.finish()  // gives up at once
        }
        #expect(await viewer.fanout.next(viewer.viewer, maxBytes: 10) == .dropped)
        #expect(await Self.eventually { hub.channels.isEmpty })
        _ = hub.attach(channel) { fanout in starts.withLockedValue { $0 += 1 }; fanout.finish() }
        #expect(await Self.eventually { starts.withLockedValue { $0 } == 2 })
    }
}
