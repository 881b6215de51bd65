import FixtureProvider
import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// Randomized join, leave and zap over real HTTP: four devices of four logins on four channels of a
/// two-connection account. Whatever the order, every answer is one a player understands (200, 403, 503),
/// the provider never sees more than its two connections nor refuses one, the slot core's invariants
/// hold after every step, and everything is closed at the end.
@Suite(.serialized) struct RandomizedLiveTests {
    typealias Loopback = RandomizedStreamTests.LoopbackHTTPClient

    struct Planned: Sendable {
        var device: Int
        var channel: Int
        var start: Duration
        /// Bytes read before the viewer leaves (at the fixture's 2 Mbit/s, 250 KB is about a second).
        var watch: Int
    }

    @Test(.timeLimit(.minutes(4))) func joinsLeavesAndZapsKeepEveryLimit() async throws {
        let channels = [5001, 5002, 5003, 5004]
        let catalog = try FixtureCatalog.channels(channels, prefix: "Mix")
        let account = FixtureAccount(username: "mix", password: "mix-pass", maxConnections: 2, catalog: catalog, mediaSeed: 9, mediaSize: 1000)
        try await TestEnvironment.with(accounts: [.init(fixture: account, name: "mix", priority: 1, maxConnections: 2)]) { env in
            LiveStreamTests.enforce(env, "mix")
            let logins = try await LiveStreamTests.addLogins(env, 4, maxConnections: 2)
            let byName = try await env.liveByName()
            let ids = try channels.map { try #require(byName["Mix \($0)"]?["stream_id"].int) }
            var random = SplitMix64(seed: 0x11FE)
            // Each device watches channels one after another (zapping), the devices at once.
            var plans: [[Planned]] = []
            for device in 0..<4 {
                var at = Duration.milliseconds(random.int(0..<400))
                var mine: [Planned] = []
                for _ in 0..<6 {
                    let watch = random.int(50_000..<400_000)
                    mine.append(Planned(device: device, channel: random.pick(ids), start: at, watch: watch))
                    at += .milliseconds(random.chance(0.5) ? 0 : random.int(0..<3500))
                }
                plans.append(mine)
            }
            let started = ContinuousClock.now
            let statuses = await withTaskGroup(of: [Int].self) { group in
                for device in 0..<4 {
                    let mine = plans[device]
                    group.addTask {
                        var seen: [Int] = []
                        for plan in mine {
                            let wait = started + plan.start - ContinuousClock.now
                            if wait > .zero { try? await Task.sleep(for: wait) }
                            let path = LiveStreamTests.path(plan.channel, user: logins[device], password: "pw\(device + 1)")
                            let reply = await Loopback.send(port: env.port, sourceIP: "127.0.0.\(20 + device)", path: path,
                                                            abort: .afterBytes(plan.watch), timeout: .seconds(60))
                            seen.append(reply.status ?? 0)
                        }
                        return seen
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 24)
            let answers = statuses.map(String.init).joined(separator: " ")
            #expect(statuses.allSatisfy { [200, 403, 503].contains($0) }, "answers: \(answers)")
            #expect(statuses.filter { $0 == 200 }.count >= 8, "most viewings played: \(answers)")
            let stats = env.provider.stats(for: "mix")
            #expect(stats.maxOpenStreams <= 2, "the provider saw \(stats.maxOpenStreams) connections")
            #expect(LiveStreamTests.refusals(env, "mix") == 0, "the provider refused none")
            #expect(env.slotCore.invariantViolations().isEmpty, "\(env.slotCore.invariantViolations())")
            #expect(await LiveStreamTests.eventually {
                await env.slotCore.snapshot().slots.isEmpty && env.provider.stats(for: "mix").openStreams == 0
                    && env.services.live.channels.isEmpty
            }, "everything closed at the end")
        }
    }
}
