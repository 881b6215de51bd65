import AsyncHTTPClient
import FixtureProvider
import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// docs/slots.md, "Capacity groups", over real HTTP against the fixture provider: its `alpha` login is
/// entered twice, as `alpha` (priority 10) and `alpha-2` (priority 5), the way two DNS names of one provider
/// are, one connection each. In one group the two names share that one connection; without a group each
/// name would get its own (and the real provider would refuse the second).
@Suite struct CapacityGroupHTTPTests {
    static let group = "alpha-login"
    static let guest = "guest"
    static let guestPassword = "guest+pw"
    /// Outlasts any test on a loaded machine: a lingering slot the test relies on never ends under it.
    static let longGrace: Duration = .seconds(120)

    /// A synced environment with `alpha` and `alpha-2` (the same fixture login, max 1 each) in `group`, or in
    /// none, and a second login `guest` (max 1) besides the usual one.
    static func withOneLoginTwice<T>(
        group: String?, accounts: [TestEnvironment.ProviderAccount]? = nil, grace: Duration = longGrace,
        _ body: (TestEnvironment) async throws -> T
    ) async throws -> T {
        var config = ServerConfig(adminToken: adminAPITestToken)
        config.grace = grace
        let fixture = try accounts ?? TestEnvironment.fixtureAccounts()
        return try await TestEnvironment.with(accounts: [fixture[0]], sync: false, config: config) { env in
            var alpha = try #require(try await env.store.account(named: "alpha"))
            alpha.capacityGroup = group
            try await env.store.updateAccount(alpha)
            try await env.store.addAccount(Account(
                name: "alpha-2", baseURL: env.provider.baseURL, username: alpha.username, password: alpha.password,
                maxConnections: 1, priority: 5, capacityGroup: group))
            try await env.store.addUser(User(username: guest, password: guestPassword, maxConnections: 1))
            let report = try await env.services.sync.run()
            if report.failed { throw TestFailure("fixture sync failed:\n\(report.text)") }
            return try await body(env)
        }
    }

    /// Waits (bounded) until `done` holds for the slot core's snapshot.
    static func waitFor(_ env: TestEnvironment, _ what: String, _ done: (SlotSnapshot) -> Bool) async throws {
        for _ in 0..<1500 {
            if done(await env.services.slots.snapshot()) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("timed out waiting for \(what)")
    }

    static func guestFilm(_ env: TestEnvironment, _ id: Int64) async throws -> TestEnvironment.Reply {
        try await env.request(env.moviePath(id, username: guest, password: guestPassword), headers: [("Range", "bytes=0-99")])
    }

    static func expectBusy(_ reply: TestEnvironment.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == 503, "\(reply.status) with \(reply.body.count) bytes", sourceLocation: sourceLocation)
        guard reply.status == 503 else { return }
        #expect(reply.headers.first(name: "Retry-After") != nil, sourceLocation: sourceLocation)
        #expect(reply.text.contains("(alpha, alpha-2)"), "the message names both accounts: \(reply.text)",
                sourceLocation: sourceLocation)
    }

    /// Film 10001 playing for the usual login on `alpha`, its body held back by a slow provider (a second per
    /// 64 KiB: in flight for half a minute unless the test lifts the delay).
    static func startFirstViewer(_ env: TestEnvironment) async throws -> HTTPClientResponse {
        env.provider.setFaults(FixtureFaults(chunkDelay: .seconds(1)), for: "alpha")
        let first = try await HTTPClient.shared.execute(HTTPClientRequest(url: env.baseURL + env.moviePath(10001)),
                                                        timeout: .seconds(60))
        #expect(first.status == .ok)
        #expect(await env.services.slots.snapshot().slots.map(\.accountName) == ["alpha"], "the higher priority name first")
        return first
    }

    @Test func theStoreGivesEveryMemberTheGroupsSmallestLimit() async throws {
        let fixture = try LiveFixture()
        try await Self.withOneLoginTwice(group: Self.group, accounts: fixture.accounts) { env in
            let store = env.store
            func limits() async throws -> (films: [String: Int], channels: [String: Int], groups: Set<String?>) {
                let films = try await store.streamCandidates(kind: .movie, publicID: 10001, scope: .everything)
                let channels = try await store.channelCandidates(publicID: 3001, scope: .everything).map(\.candidate)
                #expect(films.map(\.accountName) == ["alpha", "alpha-2"], "one film, a copy on each name")
                #expect(channels.map(\.accountName) == ["alpha", "alpha-2"])
                return (Dictionary(uniqueKeysWithValues: films.map { ($0.accountName, $0.maxConnections) }),
                        Dictionary(uniqueKeysWithValues: channels.map { ($0.accountName, $0.maxConnections) }),
                        Set((films + channels).map(\.capacityGroup)))
            }
            var now = try await limits()
            #expect(now.groups == [Self.group])
            #expect(now.films == ["alpha": 1, "alpha-2": 1] && now.channels == now.films)

            var alpha = try #require(try await store.account(named: "alpha"))
            var second = try #require(try await store.account(named: "alpha-2"))
            alpha.maxConnections = 3
            second.maxConnections = 2
            try await store.updateAccount(alpha)
            try await store.updateAccount(second)
            now = try await limits()
            #expect(now.films == ["alpha": 2, "alpha-2": 2], "the group's smallest limit, for every member")
            #expect(now.channels == now.films)

            second.enabled = false
            try await store.updateAccount(second)
            now = try await limits()
            #expect(now.films == ["alpha": 3, "alpha-2": 3], "a disabled member's limit does not count")

            second.enabled = true
            second.capacityGroup = nil
            try await store.updateAccount(second)
            now = try await limits()
            #expect(now.films == ["alpha": 3, "alpha-2": 2], "out of the group, each its own limit")
            #expect(now.groups == [Self.group, nil])
        }
    }

    /// The group's one connection goes to the first viewer; another login's film gets 503 while it plays,
    /// and plays once the first viewer stopped and its linger is over. (That a lingering slot holds the
    /// group is shown by the catch-up test, whose first viewing has ended.)
    @Test func aGroupSharesOneConnectionBetweenItsNames() async throws {
        try await Self.withOneLoginTwice(group: Self.group, grace: .seconds(2)) { env in
            let first = try await Self.startFirstViewer(env)
            Self.expectBusy(try await Self.guestFilm(env, 10005))

            let connections = try await env.callJSON("/api/connections")["accounts"].items
            #expect(connections.map { $0["name"].string } == ["alpha", "alpha-2"])
            #expect(connections.map { $0["group"].string } == [Self.group, Self.group])
            #expect(connections.map { $0["load"].int } == [1, 0])
            let accounts = try await env.callJSON("/api/accounts")["accounts"].items
            #expect(accounts.map { $0["group"].string } == [Self.group, Self.group])
            // The admin's stream preview counts the group's load for each name, as admission does.
            let preview = try await env.callJSON("/api/vod/movies/10005/stream?user=\(Self.guest)")
            #expect(preview["account"].isNull, "no name has room: the stream would get 503")
            #expect(preview["candidates"].items.map { $0["load"].int } == [1, 1])
            #expect(preview["candidates"].items.map { $0["has_room"] } == [.bool(false), .bool(false)])

            // The first viewer stops; once its linger is over, the guest plays.
            env.provider.setFaults(FixtureFaults(), for: "alpha")
            for try await _ in first.body {}
            try await Self.waitFor(env, "the linger to end") { $0.slots.isEmpty }
            let second = try await Self.guestFilm(env, 10005)
            #expect(second.status == 206, "\(second.status): \(second.text.prefix(200))")
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }

    /// The same two names without a group: the second viewer plays from `alpha-2` (what a group prevents).
    @Test func withoutAGroupEachNameHasItsOwnConnection() async throws {
        try await Self.withOneLoginTwice(group: nil) { env in
            let first = try await Self.startFirstViewer(env)
            let second = try await Self.guestFilm(env, 10005)
            #expect(second.status == 206, "\(second.status): \(second.text.prefix(200))")
            let slots = await env.services.slots.snapshot().slots.sorted { $0.id < $1.id }
            #expect(slots.map(\.accountName) == ["alpha", "alpha-2"])
            let connections = try await env.callJSON("/api/connections")["accounts"].items
            #expect(connections.allSatisfy { $0["group"].isNull })
            env.provider.setFaults(FixtureFaults(), for: "alpha")
            for try await _ in first.body {}
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }

    /// Catch-up viewings (each its own upstream, like a film) count against the group too: the store's
    /// channel candidates carry the group to the slot core. The first recording has been sent in full; its
    /// lingering slot is what holds the group's connection.
    @Test(arguments: [true, false]) func catchUpCountsAgainstTheGroup(grouped: Bool) async throws {
        let fixture = try LiveFixture()
        try await Self.withOneLoginTwice(group: grouped ? Self.group : nil, accounts: fixture.accounts) { env in
            let recording = "60/2026-12-01:20-00/3001.ts"  // BBC One HD: alpha keeps 7 days.
            let first = try await env.request("/timeshift/\(env.credentialsPath)/\(recording)")
            #expect(first.status == 200)
            #expect(await env.services.slots.snapshot().slots.map(\.accountName) == ["alpha"], "lingering on alpha")

            let guestPath = "/timeshift/\(Self.guest)/\(PlaylistController.pathEncode(Self.guestPassword))/\(recording)"
            let second = try await env.request(guestPath)
            guard grouped else {
                #expect(second.status == 200, "\(second.status): \(second.text.prefix(200))")
                #expect(await env.services.slots.snapshot().slots.map(\.accountName).sorted() == ["alpha", "alpha-2"])
                return
            }
            Self.expectBusy(second)
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }
}
