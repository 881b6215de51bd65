import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// The stream proxy over real HTTP against the fixture provider's real bytes: bodies, headers,
/// the slot rules of docs/slots.md, failover, resume and the clear refusals.
@Suite struct StreamProxyTests {
    static let alphaSize = 2_000_000
    static let betaSize = 1_800_000

    func moviePath(_ id: Int, user: String = TestEnvironment.userName, password: String = TestEnvironment.userPassword, ext: String = "mkv") -> String {
        "/movie/\(PlaylistController.pathEncode(user))/\(PlaylistController.pathEncode(password))/\(id).\(ext)"
    }

    func expected(_ env: TestEnvironment, _ account: String, _ streamID: Int, _ range: Range<Int>) throws -> [UInt8] {
        let fixture = try account == "alpha" ? FixtureAccount.alpha() : FixtureAccount.beta()
        return FixtureProvider.expectedBytes(account: fixture, streamID: streamID, range: range)
    }

    /// Opens a stream and hands back the response with its body unread, so a test can hold it open.
    func open(_ env: TestEnvironment, _ path: String, range: String? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: env.baseURL + path)
        if let range { request.headers.add(name: "Range", value: range) }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    }

    @Test func fullRangedAndHeadAnswersAreExact() async throws {
        try await TestEnvironment.with { env in
            let full = try await env.request(moviePath(10007))
            #expect(full.status == 200)
            #expect(full.headers.first(name: "Content-Length") == String(Self.alphaSize))
            #expect(full.headers.first(name: "Accept-Ranges") == "bytes")
            #expect(full.headers.first(name: "Content-Type") == "video/x-matroska")
            #expect(full.body == (try expected(env, "alpha", 10007, 0..<Self.alphaSize)), "full body differs")

            let middle = try await env.request(moviePath(10007), headers: [("Range", "bytes=1000-1999")])
            #expect(middle.status == 206)
            #expect(middle.headers.first(name: "Content-Range") == "bytes 1000-1999/\(Self.alphaSize)")
            #expect(middle.headers.first(name: "Content-Length") == "1000")
            #expect(middle.body == (try expected(env, "alpha", 10007, 1000..<2000)), "ranged body differs")

            let tail = try await env.request(moviePath(10007, ext: "mp4"), headers: [("Range", "bytes=1999000-")])
            #expect(tail.status == 206, "a different extension than listed is not an error")
            #expect(tail.body == (try expected(env, "alpha", 10007, 1_999_000..<Self.alphaSize)), "tail body differs")

            let head = try await env.request(moviePath(10007), method: .HEAD)
            #expect(head.status == 200)
            #expect(head.headers.first(name: "Content-Length") == String(Self.alphaSize))
            #expect(head.body.isEmpty)

            let unsatisfiable = try await env.request(moviePath(10007), headers: [("Range", "bytes=5000000-")])
            #expect(unsatisfiable.status == 416)
        }
    }

    @Test func episodesStreamFromTheirPreferredCopy() async throws {
        try await TestEnvironment.with { env in
            let path = { (id: Int) in "/series/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/\(id).mkv" }
            let shared = try await env.request(path(11001), headers: [("Range", "bytes=0-4095")])
            #expect(shared.status == 206)
            #expect(shared.body == (try expected(env, "alpha", 11001, 0..<4096)), "S1E1 comes from alpha, the preferred account")
            let betaOnly = try await env.request(path(21006), headers: [("Range", "bytes=0-4095")])
            #expect(betaOnly.status == 206)
            #expect(betaOnly.headers.first(name: "Content-Range") == "bytes 0-4095/\(Self.betaSize)")
            #expect(betaOnly.body == (try expected(env, "beta", 21006, 0..<4096)))
            #expect(try await env.request(path(10001)).status == 404, "a movie id is not an episode id")
        }
    }

    /// The path xcserver builds for provider and admin URLs is the one its stream routes read back,
    /// whatever the credentials hold.
    @Test func builtStreamPathsParseBack() throws {
        for (kind, user, password) in [(ContentKind.movie, "alpha", FixtureAccount.alphaPassword), (.episode, "ü ser", "%/?#&+")] {
            let built = StreamPath(kind: kind, username: user, password: password, id: 10007, ext: "mkv")
            #expect(StreamPath(path: built.path) == built, "\(built.path)")
            #expect(!built.path.contains(" ") && !built.path.contains("?") && !built.path.contains("#"), "\(built.path)")
        }
    }

    @Test func clientMistakesGetClear4xx() async throws {
        try await TestEnvironment.with { env in
            let badRange = try await env.request(moviePath(10007), headers: [("Range", "bytes=abc")])
            #expect(badRange.status == 400)
            #expect(badRange.text.contains("Range"))
            #expect(try await env.request(moviePath(424242)).status == 404)
            #expect(try await env.request(moviePath(10007, password: "wrong")).status == 401)
            #expect(try await env.request("/movie/onlyuser/10007.mkv").status == 404)
            #expect(try await env.request("/movie/\(TestEnvironment.userName)/x/notanumber.mkv").status == 404)
            #expect(env.provider.stats(for: "alpha").streamRequests.isEmpty, "none of these reached a provider")
        }
    }

    /// TiviMate on an MKV: a probe, the index read near the end and playback, concurrently, then two
    /// seeks, on a title both accounts hold, with alpha (preferred) allowing one connection.
    @Test func tiviMatePatternSharesOneSlotAndStaysOnOneAccount() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(3)), for: "alpha")
            env.provider.resetStats()
            let sampler = Task {
                var peak = 0
                while !Task.isCancelled {
                    peak = max(peak, await env.services.slots.snapshot().account(1)?.load ?? 0)
                    try? await Task.sleep(for: .milliseconds(5))
                }
                return peak
            }
            let ranges: [String?] = [nil, "bytes=1900000-", "bytes=500000-"]
            let bodies = try await withThrowingTaskGroup(of: (String?, Int, [UInt8]).self) { group in
                for range in ranges {
                    group.addTask {
                        let reply = try await env.request(moviePath(10001), headers: range.map { [("Range", $0)] } ?? [])
                        return (range, reply.status, reply.body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (range, status, body) in bodies {
                let start = range.map { Int($0.dropFirst(6).dropLast())! } ?? 0
                #expect(status == (range == nil ? 200 : 206))
                #expect(body == (try expected(env, "alpha", 10001, start..<Self.alphaSize)), "range \(range ?? "none") differs")
            }
            for seek in ["bytes=1000000-", "bytes=1500000-1599999"] {
                let reply = try await env.request(moviePath(10001), headers: [("Range", seek)])
                #expect(reply.status == 206)
            }
            sampler.cancel()
            #expect(await sampler.value <= 1, "account load above max_connections")
            #expect(env.provider.stats(for: "alpha").maxOpenTitles == 1)
            #expect(env.provider.stats(for: "alpha").streamRequests.count == 5)
            #expect(env.provider.stats(for: "beta").streamRequests.isEmpty, "one viewing never reaches a second account")
        }
    }

    @Test func aSecondViewerIsRefusedWhileTheFirstWatchesThenAdmitted() async throws {
        try await TestEnvironment.with(config: ServerConfig(grace: .milliseconds(300))) { env in
            try await env.store.addUser(User(username: "guest", password: "guest", maxConnections: 1))
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "alpha")
            // The first viewer holds alpha's only connection with an open, unread response.
            let first = try await open(env, moviePath(10007))
            #expect(first.status == .ok)
            let refused = try await env.request(moviePath(10010, user: "guest", password: "guest"))
            #expect(refused.status == 503)
            #expect(refused.headers.first(name: "Retry-After") != nil)
            #expect(refused.text.contains("alpha"))
            var received = 0
            for try await chunk in first.body { received += chunk.readableBytes }
            #expect(received == Self.alphaSize)
            // After the first viewing's grace period the second viewer gets the account.
            var admitted = 0
            for _ in 0..<40 where admitted != 200 {
                try await Task.sleep(for: .milliseconds(100))
                admitted = try await env.request(moviePath(10010, user: "guest", password: "guest"), headers: [("Range", "bytes=0-99")]).status == 206 ? 200 : 0
            }
            #expect(admitted == 200)
        }
    }

    @Test func aUserAtItsLimitGets403() async throws {
        try await TestEnvironment.with { env in
            try await env.store.addUser(User(username: "solo", password: "solo", maxConnections: 1))
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "beta")
            let watching = try await open(env, moviePath(20008, user: "solo", password: "solo"))
            #expect(watching.status == .ok)
            let second = try await env.request(moviePath(20009, user: "solo", password: "solo"))
            #expect(second.status == 403)
            #expect(second.text.contains("1 stream"))
            // Same title, same viewer: joins the slot instead.
            let seek = try await env.request(moviePath(20008, user: "solo", password: "solo"), headers: [("Range", "bytes=10-19")])
            #expect(seek.status == 206)
            for try await _ in watching.body {}
        }
    }

    @Test func failoverToTheNextAccountWhenThePreferredRefuses() async throws {
        for status in [503, 509] {
            try await TestEnvironment.with { env in
                env.provider.setFaults(FixtureFaults(streamStatus: status), for: "alpha")
                let reply = try await env.request(moviePath(10014))
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "Content-Length") == String(Self.betaSize))
                #expect(reply.body == (try expected(env, "beta", 20012, 0..<Self.betaSize)), "beta's copy, whole")
                #expect(env.provider.stats(for: "alpha").streamRequests.map(\.status) == [status])
                let snapshot = await env.services.slots.snapshot()
                if status == 509 {
                    #expect(snapshot.account(1)?.backoffSeconds != nil, "a refusing account is avoided for a while")
                }
            }
        }
    }

    @Test func everyAccountFailingIs502AndReleasesTheSlot() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(streamStatus: 500), for: "alpha")
            env.provider.setFaults(FixtureFaults(streamStatus: 500), for: "beta")
            let reply = try await env.request(moviePath(10001))
            #expect(reply.status == 502)
            #expect(reply.text.contains("every provider account failed"))
            let snapshot = await env.services.slots.snapshot()
            #expect(snapshot.slots.allSatisfy { $0.inFlight == 0 })
        }
    }

    @Test func aMidStreamDropIsResumedByteExactOnTheSameCopy() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(dropAfterBytes: 300_000, dropCount: 2), for: "alpha")
            let reply = try await env.request(moviePath(10001))
            #expect(reply.status == 200)
            #expect(reply.body.count == Self.alphaSize)
            #expect(reply.body == (try expected(env, "alpha", 10001, 0..<Self.alphaSize)), "resumed body differs")
            let requests = env.provider.stats(for: "alpha").streamRequests
            #expect(requests.count == 3)
            #expect(requests.dropFirst().allSatisfy { $0.range?.hasPrefix("bytes=") == true })
            #expect(env.provider.stats(for: "beta").streamRequests.isEmpty, "never resumed on another account's copy")
        }
    }

    @Test func headIsAnsweredEvenWhenTheProviderRejectsHead() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(rejectHead: true), for: "alpha")
            let head = try await env.request(moviePath(10007), method: .HEAD)
            #expect(head.status == 200)
            #expect(head.headers.first(name: "Content-Length") == String(Self.alphaSize))
            #expect(head.headers.first(name: "Content-Range") == nil)
            #expect(head.body.isEmpty)
            let methods = env.provider.stats(for: "alpha").streamRequests.map { "\($0.method) \($0.status)" }
            #expect(methods == ["HEAD 405", "GET 206"])
        }
    }

    @Test func redirectsToLoadBalancersAreFollowed() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(redirectStreams: true), for: "alpha")
            let reply = try await env.request(moviePath(10007), headers: [("Range", "bytes=100-199")])
            #expect(reply.status == 206)
            #expect(reply.body == (try expected(env, "alpha", 10007, 100..<200)))
            #expect(env.provider.stats(for: "alpha").streamRequests.contains { $0.viaLoadBalancer })
        }
    }

    @Test func upstreamUserAgentIsTheAccountsOrTheClients() async throws {
        try await TestEnvironment.with { env in
            _ = try await env.request(moviePath(20008), headers: [("User-Agent", "TiviMate/5.1"), ("Range", "bytes=0-9")])
            var alpha = try #require(try await env.store.account(named: "alpha"))
            alpha.userAgent = "VLC/3.0.20"
            try await env.store.updateAccount(alpha)
            _ = try await env.request(moviePath(10007), headers: [("User-Agent", "TiviMate/5.1"), ("Range", "bytes=0-9")])
            #expect(env.provider.stats(for: "beta").streamRequests.first?.userAgent == "TiviMate/5.1")
            #expect(env.provider.stats(for: "alpha").streamRequests.first?.userAgent == "VLC/3.0.20")
        }
    }

    @Test func aClientThatGoesAwayEndsTheUpstreamRequestAtOnce() async throws {
        try await TestEnvironment.with { env in
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(20)), for: "alpha")
            let reader = Task {
                let response = try await open(env, moviePath(10007))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                // Leaving here drops the body: the client connection closes mid-stream.
            }
            _ = try await reader.value
            var stillOpen = 1
            for _ in 0..<50 where stillOpen != 0 {
                try await Task.sleep(for: .milliseconds(40))
                stillOpen = env.provider.stats(for: "alpha").openStreams
            }
            #expect(stillOpen == 0, "the provider still streams to nobody")
            let slots = await env.services.slots.snapshot().slots
            #expect(slots.allSatisfy { $0.inFlight == 0 })
            #expect(env.provider.stats(for: "alpha").bytesServed < Self.alphaSize)
        }
    }

    @Test func connectionsAPIShowsSlotsBehindTheAdminToken() async throws {
        try await TestEnvironment.with(config: ServerConfig(adminToken: "s3cret")) { env in
            #expect(try await env.request("/api/connections").status == 401)
            #expect(try await env.request("/api/connections", headers: [("Authorization", "Bearer nope")]).status == 401)
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "alpha")
            let watching = try await open(env, moviePath(10007))
            let reply = try await env.request("/api/connections", headers: [("Authorization", "Bearer s3cret")])
            #expect(reply.status == 200)
            let answer = try reply.json()
            let slots = try #require(answer.object?["slots"]?.array)
            #expect(slots.count == 1)
            #expect(slots.first?.object?["account_name"] == .string("alpha"))
            #expect(slots.first?.object?["in_flight"] == .number(1))
            let accounts = try #require(answer.object?["accounts"]?.array)
            #expect(accounts.map { $0.object?["load"] } == [.number(1), .number(0)])
            #expect(!reply.text.contains(FixtureAccount.alphaPassword), "no provider password in the answer")
            let login = try await env.api()
            #expect(login.object?["user_info"]?.object?["active_cons"] == .string("1"))
            for try await _ in watching.body {}
        }
    }
}
