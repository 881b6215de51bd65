import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import Testing
import XCModels
@testable import XCServerKit

/// docs/sockets.md against a fixture provider that counts every open stream socket per account and refuses
/// past its limit: one viewing holds one upstream socket, sockets close when xcserver stops using them, and a
/// tolerant account that refuses a second socket is detected.
@Suite(.serialized) struct SocketLimitTests {
    typealias Client = RandomizedStreamTests.LoopbackHTTPClient
    static let bytes = try! RandomizedStreamTests.CopyBytes()

    static func path(_ id: Int) -> String {
        "/movie/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/\(id).mkv"
    }

    static func copy(_ id: Int) -> RandomizedStreamTests.Copy { .init(account: "alpha", streamID: id) }

    /// Alpha counts sockets (limit 1, 458 past it) and is configured `socketLimit`.
    static func withSocketCountingAlpha<T>(
        _ socketLimit: SocketLimit, limit: Int = 1, chunkDelay: Duration? = .milliseconds(2), grace: Duration = .seconds(1),
        _ body: (TestEnvironment) async throws -> T
    ) async throws -> T {
        // A settle of 1 s, not 300 ms: the fixture counts a socket until its own event loop sees the close,
        // which on two cores shared with the rest of the suite can take longer than 300 ms.
        try await TestEnvironment.with(config: ServerConfig(grace: grace, settle: .seconds(1))) { env in
            var alpha = try #require(try await env.store.account(named: "alpha"))
            alpha.socketLimit = socketLimit
            try await env.store.updateAccount(alpha)
            env.provider.limitSockets(FixtureSocketLimit(limit: limit), for: "alpha")
            env.provider.setFaults(FixtureFaults(chunkDelay: chunkDelay), for: "alpha")
            env.provider.resetStats()
            return try await body(env)
        }
    }

    /// Every body that was read to its end is the file's bytes for the range the head announced.
    static func expectExact(_ reply: Client.Reply, _ id: Int, from first: Int, status: Int, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(what): \(RandomizedStreamTests.describe(reply))", sourceLocation: sourceLocation)
        let expected = bytes.bytes(copy(id), first..<(first + reply.body.count))
        #expect(reply.body == expected, "\(what): \(reply.body.count) bytes from \(first) differ", sourceLocation: sourceLocation)
        if reply.complete {
            let length = reply.header("Content-Length").flatMap(Int.init)
            #expect(reply.body.count == length, "\(what): \(reply.body.count) of \(length ?? -1) bytes", sourceLocation: sourceLocation)
        }
    }

    /// The provider never saw more sockets than it allows and refused none; once the slot ended, none is open.
    static func expectOneSocketThenNone(_ env: TestEnvironment, refusals: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let stats = env.provider.stats(for: "alpha")
        #expect(stats.maxOpenSockets <= 1, "alpha saw \(stats.maxOpenSockets) sockets at once", sourceLocation: sourceLocation)
        #expect(stats.refusedSockets <= refusals, "alpha refused \(stats.refusedSockets) socket(s)", sourceLocation: sourceLocation)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, env.provider.stats(for: "alpha").openSockets > 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(env.provider.stats(for: "alpha").openSockets == 0, "the viewing's socket stays open after its slot ended",
                sourceLocation: sourceLocation)
        #expect(await env.services.slots.snapshot().slots.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func theFixtureCountsSocketsAndRefusesPastItsLimit() async throws {
        try await TestEnvironment.with(sync: false) { env in
            env.provider.limitSockets(FixtureSocketLimit(limit: 1), for: "alpha")
            let url = env.provider.streamURL(username: "alpha", password: FixtureAccount.alphaPassword, streamID: 10007)
            let first = HTTPClient(eventLoopGroupProvider: .singleton)
            let second = HTTPClient(eventLoopGroupProvider: .singleton)
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Range", value: "bytes=0-99")
            let one = try await first.execute(request, timeout: .seconds(10))
            _ = try await one.body.collect(upTo: 1 << 20)
            #expect(one.status == .partialContent)
            // The first socket idles in its pool: still counted.
            let two = try await second.execute(request, timeout: .seconds(10))
            #expect(two.status.code == 458, "a second socket while the first is open")
            _ = try? await two.body.collect(upTo: 1 << 20)
            try await first.shutdown()
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, env.provider.stats(for: "alpha").openSockets > 0 { try await Task.sleep(for: .milliseconds(10)) }
            let three = try await second.execute(request, timeout: .seconds(10))
            _ = try await three.body.collect(upTo: 1 << 20)
            #expect(three.status == .partialContent, "admitted once the first socket closed")
            try await second.shutdown()
            let stats = env.provider.stats(for: "alpha")
            #expect(stats.maxOpenSockets == 1)
            #expect(stats.refusedSockets == 1)
        }
    }

    /// A refusal by closing the connection, and a provider that goes on counting a closed socket for a while.
    @Test func theFixtureRefusesByClosingAndCountsClosedSocketsForAWhile() async throws {
        try await TestEnvironment.with(sync: false) { env in
            env.provider.limitSockets(FixtureSocketLimit(limit: 1, refusal: .close, countsClosedFor: .milliseconds(500)), for: "alpha")
            let url = env.provider.streamURL(username: "alpha", password: FixtureAccount.alphaPassword, streamID: 10007)
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Range", value: "bytes=0-99")
            request.headers.add(name: "Connection", value: "close")
            let one = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try await one.body.collect(upTo: 1 << 20)
            #expect(one.status == .partialContent)
            let closedAt = ContinuousClock.now
            // Closed on our side, still counted by the provider: the next socket is refused by a close.
            let refused = try? await HTTPClient.shared.execute(request, timeout: .seconds(10))
            if ContinuousClock.now < closedAt + .milliseconds(400) {
                #expect(refused == nil, "a socket within the provider's counting lag got an answer")
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, env.provider.stats(for: "alpha").openSockets > 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(closedAt.duration(to: .now) >= .milliseconds(500), "the closed socket stopped counting before its lag")
            let admitted = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try await admitted.body.collect(upTo: 1 << 20)
            #expect(admitted.status == .partialContent)
        }
    }

    /// Tolerant accounts: each request's socket closes with its response (`Connection: close`), none idles in
    /// a pool where the provider would count it; the settle is how long the provider still saw it open.
    @Test func tolerantSocketsCloseWithTheirResponse() async throws {
        try await Self.withSocketCountingAlpha(.tolerant, chunkDelay: nil) { env in
            var settles: [Duration] = []
            for round in 0..<5 {
                let reply = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), headers: [("Range", "bytes=\(round * 1000)-\(round * 1000 + 999)")])
                #expect(reply.status == 206)
                let ended = ContinuousClock.now
                while ContinuousClock.now < ended + .seconds(10), env.provider.stats(for: "alpha").openSockets > 0 { try await Task.sleep(for: .milliseconds(1)) }
                settles.append(ended.duration(to: .now))
            }
            let stats = env.provider.stats(for: "alpha")
            #expect(stats.openSockets == 0, "a finished response's socket idles in a keep-alive pool")
            #expect(stats.refusedSockets == 0 && stats.maxOpenSockets == 1)
            print("[SocketLimitTests] tolerant socket closed \(settles.map { "\($0)" }) after its response ended (settle 300 ms)")
            #expect(settles.allSatisfy { $0 < .milliseconds(300) * 10 }, "\(settles)")
        }
    }

    /// TiviMate on an MKV: a probe without Range (read a little, then dropped), the index near the end and
    /// playback from an offset, at once, then a seek: one socket, no refusal, every whole range exact.
    @Test func tiviMatePatternUsesOneSocket() async throws {
        try await Self.withSocketCountingAlpha(.strict) { env in
            let size = Self.bytes.size(Self.copy(10007))
            async let probe = Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), abort: .afterBytes(64 << 10))
            async let index = Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), headers: [("Range", "bytes=\(size - 100_000)-")])
            async let playback = Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), headers: [("Range", "bytes=500000-")])
            let (p, i, b) = await (probe, index, playback)
            Self.expectExact(p, 10007, from: 0, status: 200, "probe")
            #expect(p.header("Content-Length") == String(size))
            Self.expectExact(i, 10007, from: size - 100_000, status: 206, "index")
            #expect(i.complete && i.header("Content-Range") == "bytes \(size - 100_000)-\(size - 1)/\(size)")
            Self.expectExact(b, 10007, from: 500_000, status: 206, "playback")
            #expect(b.complete)
            let seek = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), headers: [("Range", "bytes=1200000-")])
            Self.expectExact(seek, 10007, from: 1_200_000, status: 206, "seek")
            // A repeated probe of the head is served from the viewing's cache.
            let before = env.provider.stats(for: "alpha").streamRequests.count
            let again = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), headers: [("Range", "bytes=0-4095")])
            Self.expectExact(again, 10007, from: 0, status: 206, "repeated probe")
            #expect(env.provider.stats(for: "alpha").streamRequests.count == before, "a cached probe went upstream")
            try await Self.expectOneSocketThenNone(env)
        }
    }

    /// A viewing whose first request is past the end gets the provider's 416, then plays; HEAD answers the
    /// length; the socket still closes when the slot ends.
    @Test func unsatisfiableFirstRangeAndHeadOnAStrictAccount() async throws {
        try await Self.withSocketCountingAlpha(.strict) { env in
            let size = Self.bytes.size(Self.copy(10012))
            let past = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10012), headers: [("Range", "bytes=\(size + 10)-")])
            #expect(past.status == 416, "\(RandomizedStreamTests.describe(past))")
            let head = await Client.send(port: env.port, sourceIP: "127.0.0.1", method: .HEAD, path: Self.path(10012))
            #expect(head.status == 200 && head.header("Content-Length") == String(size))
            let suffix = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10012), headers: [("Range", "bytes=-5000")])
            Self.expectExact(suffix, 10012, from: size - 5000, status: 206, "suffix range")
            #expect(suffix.complete && suffix.header("Content-Range") == "bytes \(size - 5000)-\(size - 1)/\(size)")
            try await Self.expectOneSocketThenNone(env)
        }
    }

    /// mpv / ffmpeg: `bytes=0-`, then near the end, then near the start again within 3 s; and Jellyfin's three
    /// concurrent probes.
    @Test func mpvPatternAndConcurrentProbesUseOneSocket() async throws {
        try await Self.withSocketCountingAlpha(.strict) { env in
            let size = Self.bytes.size(Self.copy(10010))
            let start = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10010), headers: [("Range", "bytes=0-")], abort: .afterBytes(300_000))
            Self.expectExact(start, 10010, from: 0, status: 206, "bytes=0-")
            let end = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10010), headers: [("Range", "bytes=\(size - 30_000)-")])
            Self.expectExact(end, 10010, from: size - 30_000, status: 206, "near the end")
            let again = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10010), headers: [("Range", "bytes=4096-")])
            Self.expectExact(again, 10010, from: 4096, status: 206, "near the start again")
            #expect(again.complete)
            let probes = await withTaskGroup(of: Client.Reply.self) { group in
                for _ in 0..<3 {
                    group.addTask { await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10011), headers: [("Range", "bytes=0-")]) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for (n, probe) in probes.enumerated() {
                Self.expectExact(probe, 10011, from: 0, status: 206, "probe \(n)")
                #expect(probe.complete)
            }
            try await Self.expectOneSocketThenNone(env)
        }
    }

    /// Zapping between films on a one-connection strict account: the zapped viewing's socket is closed before
    /// the next viewing opens its own.
    @Test func zappingClosesTheOldSocketFirst() async throws {
        try await Self.withSocketCountingAlpha(.strict, grace: .seconds(10)) { env in
            for (round, (from, to)) in [(10007, 10010), (10010, 10012), (10012, 10013), (10013, 10007)].enumerated() {
                let aborted = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(from), abort: .afterBytes(100_000))
                #expect(aborted.status == 200, "round \(round)")
                let deadline = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < deadline, await env.services.slots.snapshot().slots.contains(where: { $0.inFlight > 0 }) {
                    try await Task.sleep(for: .milliseconds(1))
                }
                let next = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(to), headers: [("Range", "bytes=1000-")])
                Self.expectExact(next, to, from: 1000, status: 206, "round \(round): zapped to \(to)")
                #expect(next.complete)
            }
            let stats = env.provider.stats(for: "alpha")
            #expect(stats.maxOpenSockets <= 1, "alpha saw \(stats.maxOpenSockets) sockets")
            #expect(stats.refusedSockets == 0, "alpha refused \(stats.refusedSockets) socket(s)")
        }
    }

    /// Detection: alpha counts sockets but is configured tolerant. The playback request, refused while the
    /// probe streams on its own socket, is served over one socket instead of failing over, and alpha is strict
    /// from then on.
    @Test func aTolerantAccountThatRefusesASecondSocketBecomesStrict() async throws {
        try await Self.withSocketCountingAlpha(.tolerant, chunkDelay: .milliseconds(30)) { env in
            let size = Self.bytes.size(Self.copy(10007))
            async let probe = Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007))
            try await Task.sleep(for: .milliseconds(200))
            let playback = await Client.send(port: env.port, sourceIP: "127.0.0.1", path: Self.path(10007), headers: [("Range", "bytes=700000-")])
            let p = await probe
            Self.expectExact(playback, 10007, from: 700_000, status: 206, "playback")
            #expect(playback.complete)
            Self.expectExact(p, 10007, from: 0, status: 200, "probe moved onto the viewing's socket")
            #expect(p.complete && p.body.count == size)
            #expect(try await env.store.account(named: "alpha")?.socketLimit == .strict)
            let stats = env.provider.stats(for: "alpha")
            #expect(stats.maxOpenSockets <= 1)
            #expect(stats.refusedSockets >= 1, "the provider never refused: nothing was detected")
            #expect(env.provider.stats(for: "beta").streamRequests.isEmpty, "the refused request failed over to beta")
        }
    }

    /// Hundreds of requests of several viewings (three devices, alpha allowing three sockets and
    /// three connections), random ranges and aborts: bodies exact, the provider's socket count never past its limit,
    /// every load 0 at the end.
    @Test func randomizedViewingsNeverExceedTheSocketLimit() async throws {
        try await TestEnvironment.with(config: ServerConfig(grace: .seconds(1))) { env in
            var alpha = try #require(try await env.store.account(named: "alpha"))
            alpha.socketLimit = .strict
            alpha.maxConnections = 3
            try await env.store.updateAccount(alpha)
            env.provider.limitSockets(FixtureSocketLimit(limit: 3), for: "alpha")
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(1)), for: "alpha")
            try await env.store.testWrite { db in try db.execute(sql: "UPDATE user SET max_connections = 3") }
            env.provider.resetStats()
            var rng = SplitMix64(seed: RandomizedStreamTests.seed(default: 0x1010))
            let ids = [10007, 10010, 10011, 10012]
            var plans: [(ip: String, id: Int, range: String?, abort: Client.Abort)] = []
            for _ in 0..<240 {
                // Each device mostly watches its own film, sometimes zaps to another.
                let device = Int(rng.next() % 3)
                let id = rng.next() % 5 == 0 ? ids[Int(rng.next() % UInt64(ids.count))] : ids[device]
                let size = UInt64(Self.bytes.size(Self.copy(id)))
                let start = rng.next() % size
                let range: String? = switch rng.next() % 4 {
                case 0: nil
                case 1: "bytes=\(start)-"
                case 2: "bytes=\(start)-\(min(size - 1, start + rng.next() % 400_000))"
                default: "bytes=\(size - 1 - rng.next() % 200_000)-"
                }
                let abort: Client.Abort = rng.next() % 3 == 0 ? .afterBytes(Int(rng.next() % 200_000)) : .none
                plans.append(("127.0.0.\(1 + device)", id, range, abort))
            }
            let replies = await withTaskGroup(of: (Int, Client.Reply).self) { group in
                for (n, plan) in plans.enumerated() {
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(n) * 15))
                        return (n, await Client.send(port: env.port, sourceIP: plan.ip, path: Self.path(plan.id),
                                                     headers: plan.range.map { [("Range", $0)] } ?? [], abort: plan.abort))
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            var statuses: [Int: Int] = [:]
            for (n, reply) in replies.sorted(by: { $0.key < $1.key }) {
                statuses[reply.status ?? 0, default: 0] += 1
                guard reply.status == 200 || reply.status == 206 else {
                    #expect(reply.status == 503 || reply.status == 403, "request \(n): \(RandomizedStreamTests.describe(reply))")
                    continue
                }
                let first = reply.header("Content-Range").flatMap { ContentRange(header: $0)?.first }.map(Int.init) ?? 0
                let expected = Self.bytes.bytes(Self.copy(plans[n].id), first..<(first + reply.body.count))
                #expect(reply.body == expected, "request \(n) \(plans[n].range ?? "-"): body differs")
                #expect(reply.complete || reply.aborted, "request \(n): \(RandomizedStreamTests.describe(reply))")
            }
            let stats = env.provider.stats(for: "alpha")
            print("[SocketLimitTests] randomized: statuses \(statuses.sorted { $0.key < $1.key }); alpha max sockets \(stats.maxOpenSockets), refused \(stats.refusedSockets), \(stats.streamRequests.count) upstream requests")
            #expect(stats.maxOpenSockets <= 3)
            #expect(stats.refusedSockets == 0)
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, !(await env.services.slots.snapshot().slots.isEmpty) || env.provider.stats(for: "alpha").openSockets > 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
            let snapshot = await env.services.slots.snapshot()
            #expect(snapshot.accounts.allSatisfy { $0.load == 0 } && snapshot.users.allSatisfy { $0.load == 0 })
            #expect(env.provider.stats(for: "alpha").openSockets == 0)
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }
}
