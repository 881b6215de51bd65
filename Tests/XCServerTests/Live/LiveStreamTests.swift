import FixtureProvider
import Foundation
import NIOConcurrencyHelpers
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// Live channels over real HTTP through the slot core and the hub: one provider connection per channel
/// whatever the viewers, zapping on a one-connection account, reconnects and failover while viewers stay
/// connected, and the short path forms. docs/live-streaming.md.
@Suite(.serialized) struct LiveStreamTests {
    typealias Loopback = RandomizedStreamTests.LoopbackHTTPClient

    /// True when `bytes` is one contiguous run of whole packets of the fixture's broadcast `source`: its
    /// null packets carry their packet number, which places the run; every other byte must then match.
    static func contiguous(_ bytes: [UInt8], _ source: LiveTS) -> Bool {
        let size = LiveTS.packetSize
        guard bytes.count >= size, bytes.count % size == 0 else { return false }
        for packet in 0..<(bytes.count / size) {
            guard let index = LiveTS.nullPacketIndex(bytes[(packet * size)..<(packet * size + 12)]) else { continue }
            let start = (index - Int64(packet)) * Int64(size)
            guard start >= 0 else { return false }
            return source.bytes(start..<(start + Int64(bytes.count))) == bytes
        }
        return false
    }

    static func eventually(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<300 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }

    static func path(_ id: Int, user: String = TestEnvironment.userName, password: String = TestEnvironment.userPassword,
                     ext: String = ".ts", prefix: String = "/live") -> String {
        "\(prefix)/\(PlaylistController.pathEncode(user))/\(PlaylistController.pathEncode(password))/\(id)\(ext)"
    }

    static func channelID(_ env: TestEnvironment, _ name: String) async throws -> Int {
        try #require(try await env.liveByName()[name]?["stream_id"].int, "channel \(name) listed")
    }

    static func addLogins(_ env: TestEnvironment, _ count: Int, maxConnections: Int = 1) async throws -> [String] {
        var names: [String] = []
        for n in 1...count {
            try await env.store.addUser(User(username: "tv\(n)", password: "pw\(n)", maxConnections: maxConnections))
            names.append("tv\(n)")
        }
        return names
    }

    static func source() throws -> LiveTS { try LiveTS.embedded(bitsPerSecond: 2_000_000) }

    static func enforce(_ env: TestEnvironment, _ username: String) {
        var faults = env.provider.faults(for: username)
        faults.enforceMaxConnections = true
        env.provider.setFaults(faults, for: username)
    }

    /// Provider answers that refused a live stream (a limit past which a real panel bans).
    static func refusals(_ env: TestEnvironment, _ username: String) -> Int {
        env.provider.stats(for: username).streamRequests.filter { $0.kind == "live" && $0.status >= 400 }.count
    }

    @Test(.timeLimit(.minutes(3))) func threeHouseholdViewersOfAChannelCostTheProviderOneConnection() async throws {
        try await TestEnvironment.with { env in
            Self.enforce(env, "alpha")
            let id = try await Self.channelID(env, "UK: Channel 4")
            let logins = try await Self.addLogins(env, 3)
            let source = try Self.source()
            let replies = await withTaskGroup(of: Loopback.Reply.self) { group in
                for (n, login) in logins.enumerated() {
                    group.addTask {
                        await Loopback.send(port: env.port, sourceIP: "127.0.0.\(n + 2)", path: Self.path(id, user: login, password: "pw\(n + 1)"),
                                            abort: .afterBytes(300_000))
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for reply in replies {
                #expect(reply.status == 200 && reply.header("Content-Type") == "video/mp2t", "\(reply.status ?? 0) \(reply.error ?? "")")
                // Whole packets: a viewer closing mid-chunk leaves a partial last packet, trimmed here.
                let whole = Array(reply.body.prefix(reply.body.count - reply.body.count % LiveTS.packetSize))
                let run1 = Self.contiguous(whole, source)
                #expect(run1, "each viewer reads one contiguous run of the broadcast")
            }
            #expect(env.provider.live.mostOpen(3003) == 1, "one provider connection for three viewers")
            #expect(env.provider.stats(for: "alpha").maxOpenStreams == 1)
            #expect(Self.refusals(env, "alpha") == 0)
            #expect(await Self.eventually { env.provider.live.open(3003) == 0 }, "closed after the linger")
            #expect(await Self.eventually { await env.slotCore.snapshot().accounts.allSatisfy { $0.load == 0 } })
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(3))) func kodisSixConnectionsToAChannelAreOneViewingAndListedWithTheirViewers() async throws {
        var config = ServerConfig()
        config.adminToken = "live-secret"
        try await TestEnvironment.with(config: config) { env in
            Self.enforce(env, "alpha")
            let id = try await Self.channelID(env, "UK: Channel 4")
            let connections = Task {
                await withTaskGroup(of: Loopback.Reply.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            await Loopback.send(port: env.port, sourceIP: "127.0.0.5", path: Self.path(id), abort: .afterDelay(.seconds(4)))
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            #expect(await Self.eventually {
                env.services.live.channels.values.first?.viewers.count == 6
            }, "six readers on one channel")
            let slots = await env.slotCore.snapshot().slots
            #expect(slots.count == 1 && slots.first?.viewer.kind == .live, "one viewing: \(slots.count) slots")
            let listed = try await env.request("/api/connections", headers: [("Authorization", "Bearer live-secret")]).json()
            let channels = listed["live_channels"].array ?? []
            #expect(channels.count == 1 && channels.first?["id"].int == id)
            #expect(channels.first?["viewers"].array?.count == 6)
            #expect(channels.first?["viewers"].array?.allSatisfy { $0["login"].string == TestEnvironment.userName && $0["address"].string == "127.0.0.5" } == true)
            let metrics = try await env.request("/metrics").text
            #expect(metrics.contains("xcserver_live_viewers{channel=\"\(id)\"} 6"), "viewers per channel in /metrics")
            for reply in await connections.value {
                #expect(reply.status == 200 && reply.body.count > 10_000)
            }
            #expect(env.provider.live.mostOpen(3003) == 1)
            #expect(Self.refusals(env, "alpha") == 0)
        }
    }

    /// TiviMate zapping on a one-connection account: each channel is asked for as the previous one is
    /// closed. The previous channel ends at once, its provider connection closes before the next opens.
    @Test(.timeLimit(.minutes(4))) func zappingThroughTenChannelsOnAOneConnectionAccountNeverDoublesTheProvider() async throws {
        let channels = (1...10).map { 4000 + $0 }
        let catalog = try FixtureCatalog.channels(channels, prefix: "Zap")
        let account = FixtureAccount(username: "zap", password: "zap-pass", maxConnections: 1, catalog: catalog, mediaSeed: 7, mediaSize: 1000)
        try await TestEnvironment.with(accounts: [.init(fixture: account, name: "zap", priority: 1, maxConnections: 1)]) { env in
            Self.enforce(env, "zap")
            let byName = try await env.liveByName()
            let source = try Self.source()
            for channel in channels {
                let id = try #require(byName["Zap \(channel)"]?["stream_id"].int)
                let reply = await Loopback.send(port: env.port, sourceIP: "127.0.0.7", path: Self.path(id), abort: .afterBytes(40_000))
                #expect(reply.status == 200, "channel \(channel): \(reply.status ?? 0) \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
                let whole = Array(reply.body.prefix(reply.body.count - reply.body.count % LiveTS.packetSize))
                let run2 = Self.contiguous(whole, source)
                #expect(run2)
            }
            let stats = env.provider.stats(for: "zap")
            #expect(stats.maxOpenStreams == 1, "the provider never saw two connections (saw \(stats.maxOpenStreams))")
            #expect(Self.refusals(env, "zap") == 0, "no provider refusal")
            #expect(stats.streamRequests.filter { $0.kind == "live" }.count == 10, "one provider request per channel")
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(3))) func theLoginLimitAndAFilmCompetingForTheAccountAreAnsweredLikeFilms() async throws {
        // alpha alone: every film and channel has its one connection.
        try await TestEnvironment.with(accounts: [try TestEnvironment.fixtureAccounts()[0]]) { env in
            Self.enforce(env, "alpha")
            let id = try await Self.channelID(env, "UK: Channel 4")
            let logins = try await Self.addLogins(env, 2)
            let watching = Task {
                await Loopback.send(port: env.port, sourceIP: "127.0.0.2", path: Self.path(id, user: logins[0], password: "pw1"),
                                    abort: .afterDelay(.seconds(6)))
            }
            #expect(await Self.eventually { env.services.live.channels.count == 1 })
            // The same login on a second device: over its limit of 1, although the channel is shared.
            let second = await Loopback.send(port: env.port, sourceIP: "127.0.0.3", path: Self.path(id, user: logins[0], password: "pw1"),
                                             abort: .afterBytes(1000))
            #expect(second.status == 403, "login limit: \(second.status ?? 0)")
            // A film from another login: alpha's one connection is the channel's.
            let film = try #require(try await env.api("action=get_vod_streams").items.first?["stream_id"].int)
            let filmReply = await Loopback.send(port: env.port, sourceIP: "127.0.0.4", path: "/movie/tv2/pw2/\(film).mkv",
                                                headers: [("Range", "bytes=0-999")])
            #expect(filmReply.status == 503 && filmReply.header("Retry-After") != nil, "film: \(filmReply.status ?? 0)")
            #expect(Self.refusals(env, "alpha") == 0)
            #expect(await watching.value.status == 200)
            #expect(try await env.request(Self.path(999_999)).status == 404)
            #expect(try await env.request(Self.path(id, password: "wrong")).status == 401)
        }
    }

    @Test(.timeLimit(.minutes(3))) func theShortFormsAndHeadServeTheChannelAndLeaveTheAPIAlone() async throws {
        var config = ServerConfig()
        config.adminToken = "live-secret"
        try await TestEnvironment.with(config: config) { env in
            let id = try await Self.channelID(env, "UK: Channel 4")
            let source = try Self.source()
            for form in [Self.path(id, prefix: ""), Self.path(id, ext: "", prefix: "")] {
                let reply = await Loopback.send(port: env.port, sourceIP: "127.0.0.8", path: form, abort: .afterBytes(20_000))
                #expect(reply.status == 200 && reply.header("Content-Type") == "video/mp2t", "\(form): \(reply.status ?? 0)")
                let run3 = Self.contiguous(Array(reply.body.prefix(reply.body.count - reply.body.count % 188)), source)
                #expect(run3)
            }
            let head = try await env.request(Self.path(id, prefix: ""), method: .HEAD)
            #expect(head.status == 200 && head.headers.first(name: "Content-Type") == "video/mp2t")
            #expect(try await env.request("/nobody/nothing/\(id).ts").status == 401)
            let api = try await env.request("/api/accounts/1")
            #expect(api.status == 401 && api.text.contains("error"), "the admin API keeps its own answers")
            #expect(try await env.request("/a/b/c/notanid").status == 404)
        }
    }

    /// The provider drops the channel mid-stream: reopened on the same relation, then (alpha refusing)
    /// on beta's copy, while the viewer's one connection stays open and keeps receiving.
    @Test(.timeLimit(.minutes(4))) func aDroppedChannelResumesOnTheSameThenAnotherAccountWhileTheViewerStays() async throws {
        try await TestEnvironment.with { env in
            let id = try await Self.channelID(env, "UK: BBC One HD")
            let viewer = LiveTestViewer()
            let watching = Task {
                await Loopback.send(port: env.port, sourceIP: "127.0.0.9", path: Self.path(id), abort: .afterDelay(.seconds(30)),
                                    onHead: { viewer.headed() })
            }
            #expect(await Self.eventually { env.provider.live.open(3001) == 1 }, "alpha (priority) serves it first")
            env.provider.live.drop(3001)
            #expect(await Self.eventually { env.provider.live.opened(3001) == 2 && env.provider.live.open(3001) == 1 },
                    "reopened on alpha")
            var faults = env.provider.faults(for: "alpha")
            faults.streamStatus = 509
            env.provider.setFaults(faults, for: "alpha")
            env.provider.live.drop(3001)
            #expect(await Self.eventually { env.provider.live.open(7001) == 1 }, "moved to beta's copy")
            let slot = await env.slotCore.snapshot().slots.first
            #expect(slot?.accountName == "beta", "the viewer's slot moved with the channel")
            #expect(await env.slotCore.snapshot().account(1)?.load ?? 0 == 0, "alpha counts nothing any more")
            #expect(env.services.live.channels.values.first?.reconnects ?? 0 >= 2)
            #expect(env.slotCore.invariantViolations().isEmpty)
            watching.cancel()
            _ = await watching.value
            #expect(viewer.heads == 1, "one response for the whole time")
        }
    }

    @Test(.timeLimit(.minutes(3))) func aStalledChannelIsReopened() async throws {
        var config = ServerConfig()
        config.live.stallTimeout = .seconds(1)
        try await TestEnvironment.with(config: config) { env in
            let id = try await Self.channelID(env, "UK: Channel 4")
            let watching = Task {
                await Loopback.send(port: env.port, sourceIP: "127.0.0.10", path: Self.path(id), abort: .afterDelay(.seconds(30)))
            }
            #expect(await Self.eventually { env.provider.live.open(3003) == 1 })
            env.provider.live.stall(3003, true)
            #expect(await Self.eventually { env.provider.live.opened(3003) >= 2 }, "the stall was noticed and the channel reopened")
            env.provider.live.stall(3003, false)
            #expect(await Self.eventually { env.provider.live.open(3003) == 1 })
            let before = env.services.live.channels.values.first?.viewers.first?.bytes ?? 0
            #expect(await Self.eventually { (env.services.live.channels.values.first?.viewers.first?.bytes ?? 0) > before + 50_000 },
                    "bytes flow again to the same viewer")
            watching.cancel()
            _ = await watching.value
        }
    }

    /// A viewer that reads nothing is moved forward and finally dropped; another viewer of the channel
    /// keeps getting the broadcast without a gap.
    @Test(.timeLimit(.minutes(3))) func aViewerThatStopsReadingNeitherSlowsTheOtherNorHoldsMemory() async throws {
        var config = ServerConfig()
        config.live.bufferBytes = 512 << 10
        try await TestEnvironment.with(config: config, liveBitsPerSecond: 16_000_000) { env in
            let id = try await Self.channelID(env, "UK: Channel 4")
            let logins = try await Self.addLogins(env, 2)
            let stuck = try await StuckReader.open(port: env.port, sourceIP: "127.0.0.11", path: Self.path(id, user: logins[0], password: "pw1"))
            defer { stuck.close() }
            let fast = await Loopback.send(port: env.port, sourceIP: "127.0.0.12", path: Self.path(id, user: logins[1], password: "pw2"),
                                           abort: .afterBytes(12_000_000), timeout: .seconds(90))
            #expect(fast.status == 200 && fast.body.count >= 12_000_000)
            let whole = Array(fast.body.prefix(fast.body.count - fast.body.count % 188))
            let run4 = Self.contiguous(whole, try LiveTS.embedded(bitsPerSecond: 16_000_000))
            #expect(run4, "the reading viewer missed nothing")
            // The stuck viewer's place fell out of the ring (it is moved forward when it next reads); the ring
            // itself stayed within its bound.
            let state = try #require(env.services.live.channels.values.first)
            #expect(state.viewers.contains { $0.login == logins[0] && $0.behindBytes > 512 << 10 }, "the stuck viewer is far behind")
            #expect(state.ringFillBytes <= (512 << 10) + (1 << 20), "the ring stays bounded: \(state.ringFillBytes)")
            #expect(env.provider.live.mostOpen(3003) == 1)
        }
    }

    @Test(.timeLimit(.minutes(3))) func ffmpegDecodesALiveChannelThroughXcserver() async throws {
        let tools = try await ExternalTool.ffmpeg()
        try await TestEnvironment.with { env in
            let id = try await Self.channelID(env, "UK: Channel 4")
            let result = try await ExternalTool.run(tools.ffmpeg, ["-hide_banner", "-nostdin", "-i", env.baseURL + Self.path(id), "-t", "4", "-f", "null", "-"],
                                                    timeout: .seconds(60))
            #expect(result.succeeded, "ffmpeg: \(result.stderrTail)")
            let frames = result.stderr.matches(of: /frame=\s*(\d+)/).last.flatMap { Int($0.output.1) } ?? 0
            #expect(frames > 10, "decoded \(frames) frames")
        }
    }
}

/// Counts response heads a viewer received (one per connection).
final class LiveTestViewer: Sendable {
    private let count = NIOLockedValueBox(0)
    func headed() { count.withLockedValue { $0 += 1 } }
    var heads: Int { count.withLockedValue { $0 } }
}
