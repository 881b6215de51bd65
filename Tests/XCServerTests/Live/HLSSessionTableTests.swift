import Foundation
import NIOCore
import Synchronization
import Testing
@testable import XCServerKit

/// The HLS viewing table and segment store on their own, with time passed in (docs/live-streaming.md,
/// "HLS"): a viewing ends after three target durations without a request, its tokens with it; segments
/// are held until their expiry within a byte budget; one upstream fetch serves concurrent requests.
@Suite struct HLSSessionTableTests {
    static let t0 = ContinuousClock.now
    func at(_ seconds: Double) -> ContinuousClock.Instant { Self.t0 + .milliseconds(Int((seconds * 1000).rounded())) }
    func viewer(_ user: Int64, _ ip: String = "10.0.0.2", channel: Int64 = 1) -> ViewerKey {
        ViewerKey(userID: user, clientIP: ip, kind: .live, contentID: channel)
    }

    @Test func aViewingEndsAfterThreeTargetDurationsWithoutARequest() {
        var table = HLSSessionTable()
        let tv = viewer(1)
        let opened = table.open(tv, now: at(0))
        let joined = !table.open(tv, now: at(0.5))
        #expect(opened && joined, "a second request of the viewing joins it")
        table.setTargetDuration(tv, seconds: 2)
        var ended = table.expire(now: at(6.4))
        #expect(ended.isEmpty, "5.9 s after its last request it still runs")
        let touched = table.touch(tv, now: at(6.4))
        #expect(touched)
        ended = table.expire(now: at(12.3))
        #expect(ended.isEmpty)
        ended = table.expire(now: at(12.5))
        #expect(ended == [tv], "then 6.1 s without a request: ended")
        let after = table.touch(tv, now: at(13))
        #expect(!after)
    }

    @Test func aTargetDurationIsClampedAndAssumedUntilKnown() {
        var table = HLSSessionTable()
        let tv = viewer(1)
        _ = table.open(tv, now: at(0))
        #expect(table.targetDuration(tv) == .seconds(6), "a master playlist says nothing: 6 s assumed")
        table.setTargetDuration(tv, seconds: 3600)
        #expect(table.targetDuration(tv) == .seconds(20), "a provider cannot hold a slot for hours")
        table.setTargetDuration(tv, seconds: 0)
        #expect(table.targetDuration(tv) == .seconds(1))
    }

    @Test func tokensBelongToTheirViewingAndEndWithIt() throws {
        var table = HLSSessionTable()
        let tv = viewer(1), phone = viewer(2, "10.0.0.3")
        var counter = 0
        func make() -> String { counter += 1; return "t\(counter)" }
        let segment = HLSLink(url: "http://p.example/1.ts", kind: .segment, viewer: tv)
        let none = table.token(for: segment, now: at(0), make: make)
        #expect(none == nil, "no viewing, no token")
        _ = table.open(tv, now: at(0))
        _ = table.open(phone, now: at(0))
        let issued = table.token(for: segment, now: at(0), make: make)
        let token = try #require(issued)
        let again = table.token(for: segment, now: at(1), make: make)
        #expect(again == token, "one token per URL and viewing")
        let theirsIssued = table.token(for: HLSLink(url: segment.url, kind: .segment, viewer: phone), now: at(1), make: make)
        let theirs = try #require(theirsIssued)
        #expect(theirs != token, "another viewing gets its own token for the same URL")
        var resolved = table.resolve(token, now: at(2))
        #expect(resolved == segment)
        resolved = table.resolve("t999", now: at(2))
        #expect(resolved == nil)
        table.end(tv)
        resolved = table.resolve(token, now: at(3))
        #expect(resolved == nil, "the tokens of an ended viewing resolve to nothing")
        resolved = table.resolve(theirs, now: at(3))
        #expect(resolved?.viewer == phone)
        #expect(table.tokenCount == 1)
    }

    @Test func aDevicesViewingsAreFoundForZapping() {
        var table = HLSSessionTable()
        for key in [viewer(1, channel: 1), viewer(1, channel: 2), viewer(1, "10.0.0.9", channel: 3), viewer(2, channel: 1)] {
            _ = table.open(key, now: at(0))
        }
        #expect(Set(table.viewings(userID: 1, clientIP: "10.0.0.2")) == [viewer(1, channel: 1), viewer(1, channel: 2)])
    }

    func body(_ count: Int, _ fill: UInt8 = 0) -> HLSUpstreamBody {
        HLSUpstreamBody(bytes: ByteBuffer(bytes: [UInt8](repeating: fill, count: count)), contentType: "video/mp2t", url: "u")
    }

    @Test func theStoreHoldsSegmentsUntilTheirExpiryWithinItsBudget() {
        var store = HLSSegmentStore(budget: 1000)
        store.put("a", body(400), expires: at(6))
        store.put("b", body(400), expires: at(6))
        var held = store.get("a", now: at(5.9))
        #expect(held?.bytes.readableBytes == 400)
        store.put("c", body(400), expires: at(6))
        #expect(store.bytes <= 1000)
        held = store.get("b", now: at(1))
        #expect(held == nil, "the least recently used went first")
        held = store.get("a", now: at(6))
        #expect(held == nil, "expired")
        held = store.get("c", now: at(5))
        #expect(held != nil)
        store.put("huge", body(5000), expires: at(6))
        held = store.get("huge", now: at(1))
        #expect(held == nil, "larger than the budget: not held")
    }

    @Test func concurrentRequestsForOneSegmentShareOneUpstreamFetch() async throws {
        let cache = HLSSegmentCache(budget: 1 << 20)
        let loads = Loads()
        let results = try await withThrowingTaskGroup(of: HLSFetch.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    await cache.fetch("http://p.example/7.ts", ttl: .seconds(60)) {
                        loads.count.withLock { $0 += 1 }
                        try? await Task.sleep(for: .milliseconds(200))
                        return .success(HLSUpstreamBody(bytes: ByteBuffer(bytes: [1, 2, 3]), contentType: nil, url: "http://p.example/7.ts"))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(loads.count.withLock { $0 } == 1)
        #expect(results.count == 10 && results.allSatisfy { (try? $0.get())?.bytes == ByteBuffer(bytes: [1, 2, 3]) })
    }

    @Test func aFailedFetchIsNotKept() async {
        let cache = HLSSegmentCache(budget: 1 << 20)
        let loads = Loads()
        for _ in 0..<2 {
            let result = await cache.fetch("http://p.example/8.ts", ttl: .seconds(60)) {
                loads.count.withLock { $0 += 1 }
                return .failure(.refused(.status(503)))
            }
            #expect(result == .failure(.refused(.status(503))))
        }
        #expect(loads.count.withLock { $0 } == 2, "the next request asks the provider again")
        #expect(cache.heldBytes == 0)
    }
}

/// How often a fetch's load ran, shared with its concurrent callers.
private final class Loads: Sendable {
    let count = Mutex(0)
}
