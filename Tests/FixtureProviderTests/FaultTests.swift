import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import FixtureProvider

@Suite struct FaultTests {
    let alpha: FixtureAccount

    init() throws { alpha = try .alpha() }

    func movieURL(_ provider: FixtureProvider, _ id: Int) -> String {
        provider.streamURL(username: alphaUser, password: alphaPass, streamID: id)
    }

    @Test(arguments: [403, 404, 458, 509, 503])
    func streamStatus(status: Int) async throws {
        try await withProvider([alpha]) { provider async throws in
            provider.setFaults(FixtureFaults(streamStatus: status), for: alphaUser)
            let answer = try await fetch(movieURL(provider, 10001))
            #expect(answer.status == status)
            #expect(answer.body.count < 100)
            #expect(provider.stats(for: alphaUser).streamRequests.last?.status == status)
            #expect(provider.stats(for: alphaUser).bytesServed == 0)
            provider.setFaults(.none, for: alphaUser)
            #expect(try await fetch(movieURL(provider, 10001), headers: [("Range", "bytes=0-0")]).status == 206)
        }
    }

    @Test func rejectHead() async throws {
        try await withProvider([alpha]) { provider async throws in
            provider.setFaults(FixtureFaults(rejectHead: true), for: alphaUser)
            #expect(try await fetch(movieURL(provider, 10001), method: .HEAD).status == 405)
            #expect(try await fetch(movieURL(provider, 10001), headers: [("Range", "bytes=0-9")]).status == 206)
        }
    }

    @Test func dropAfterBytesCutsTheConnection() async throws {
        try await withProvider([alpha]) { provider async throws in
            provider.setFaults(FixtureFaults(dropAfterBytes: 100_000, dropCount: 2), for: alphaUser)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            for attempt in 0 ..< 2 {
                let response = try await client.execute(HTTPClientRequest(url: movieURL(provider, 10001)), timeout: .seconds(30))
                #expect(response.status.code == 200)
                #expect(response.headers.first(name: "Content-Length") == "2000000")
                var received: [UInt8] = []
                var failed = false
                do {
                    for try await chunk in response.body { received += chunk.readableBytesView }
                } catch {
                    failed = true
                }
                #expect(failed, "attempt \(attempt): the body must end with an error")
                #expect(received.count <= 100_000)
                #expect(received == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 0 ..< received.count))
            }
            // The budget of 2 is spent: normal again, including a ranged resume.
            let resumed = try await fetch(movieURL(provider, 10001), headers: [("Range", "bytes=100000-")], client: client)
            #expect(resumed.status == 206)
            #expect(resumed.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 100_000 ..< 2_000_000))
            let stats = provider.stats(for: alphaUser)
            #expect(stats.droppedResponses == 2)
            #expect(await eventually { provider.stats(for: alphaUser).openStreams == 0 })
            try await client.shutdown()
        }
    }

    @Test func dropDoesNotApplyToShortRanges() async throws {
        try await withProvider([alpha]) { provider async throws in
            provider.setFaults(FixtureFaults(dropAfterBytes: 1000), for: alphaUser)
            let short = try await fetch(movieURL(provider, 10001), headers: [("Range", "bytes=0-499")])
            #expect(short.status == 206)
            #expect(short.body.count == 500)
            #expect(provider.stats(for: alphaUser).droppedResponses == 0)
        }
    }

    @Test func redirectStreamsToALoadBalancerNode() async throws {
        try await withProvider([alpha]) { provider async throws in
            provider.setFaults(FixtureFaults(redirectStreams: true), for: alphaUser)
            let noFollow = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            let follow = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .follow(max: 3, allowCycles: false)))
            let first = try await fetch(movieURL(provider, 10001), client: noFollow)
            #expect(first.status == 302)
            let location = try #require(first.header("Location"))
            #expect(location.hasPrefix("\(provider.baseURL)/lb/"))
            #expect(location.hasSuffix("/movie/alpha/\(FixtureProvider.percentEncode(alphaPass))/10001.mkv"))
            let node = try await fetch(location, headers: [("Range", "bytes=10-19")], client: noFollow)
            #expect(node.status == 206)
            #expect(node.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 10 ..< 20))

            let followed = try await fetch(movieURL(provider, 10002), headers: [("Range", "bytes=-64")], client: follow)
            #expect(followed.status == 206)
            #expect(followed.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10002, range: 1_999_936 ..< 2_000_000))

            let forged = try await fetch("\(provider.baseURL)/lb/forged/movie/alpha/\(FixtureProvider.percentEncode(alphaPass))/10001.mkv", client: noFollow)
            #expect(forged.status == 403)
            let requests = provider.stats(for: alphaUser).streamRequests
            #expect(requests.map(\.status) == [302, 206, 302, 206])
            #expect(requests.map(\.viaLoadBalancer) == [false, true, false, true])
            try await noFollow.shutdown()
            try await follow.shutdown()
        }
    }

    @Test func apiFaults() async throws {
        try await withProvider([alpha]) { provider async throws in
            let list = provider.apiURL(username: alphaUser, password: alphaPass, action: "get_vod_streams")
            provider.setFaults(FixtureFaults(apiStatus: 500), for: alphaUser)
            let error = try await fetch(list)
            #expect(error.status == 500)
            #expect(error.header("Content-Type") == "text/html")
            #expect(error.text.contains("<h1>500 Internal Server Error</h1>"))
            #expect(try await fetch(provider.apiURL(username: alphaUser, password: alphaPass)).status == 500)

            provider.setFaults(FixtureFaults(apiGarbage: true), for: alphaUser)
            let garbage = try await fetch(list)
            #expect(garbage.status == 200)
            #expect(garbage.text.hasPrefix("<html>garbage"))

            provider.setFaults(FixtureFaults(emptyLists: true), for: alphaUser)
            #expect(try await fetch(list).text == "[]")
            #expect(try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series")).text == "[]")
            // Not a list: still answered.
            let info = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series_info", [("series_id", "501")]))
            #expect(info.body == (try fixtureFile("alpha/series_info/501.json")))

            // The delay is long so that "not delayed" below holds with a wide margin on a loaded machine.
            provider.setFaults(FixtureFaults(firstByteDelay: .seconds(6)), for: alphaUser)
            let started = ContinuousClock.now
            let slow = try await fetch(list)
            #expect(ContinuousClock.now - started >= .seconds(6))
            #expect(slow.body == (try fixtureFile("alpha/get_vod_streams.json")))
            // Auth is not a list action: not delayed.
            let authStarted = ContinuousClock.now
            _ = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass))
            #expect(ContinuousClock.now - authStarted < .seconds(6))
        }
    }

    @Test func infoDelayShowsClientConcurrency() async throws {
        try await withProvider([alpha]) { provider async throws in
            provider.setFaults(FixtureFaults(infoDelay: .milliseconds(600)), for: alphaUser)
            let urls = [501, 502, 503].map {
                provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series_info", [("series_id", String($0))])
            }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for url in urls { group.addTask { try await fetch(url).status } }
                for try await status in group { #expect(status == 200) }
            }
            let stats = provider.stats(for: alphaUser)
            #expect(stats.maxOpenAPIRequests == 3)
            #expect(stats.openAPIRequests == 0)
            #expect(stats.apiRequests["get_series_info"] == 3)
        }
    }

    @Test func enforceMaxConnectionsCountsDistinctTitles() async throws {
        var account = alpha
        account.mediaSizes = [10001: 16_000_000]
        try await withProvider([account]) { provider async throws in
            // alpha has max_connections 1. 16 MB at one chunk per 40 ms: open for 10 s unless sped up.
            provider.setFaults(FixtureFaults(enforceMaxConnections: true, chunkDelay: .milliseconds(40)), for: alphaUser)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let first = try await client.execute(HTTPClientRequest(url: movieURL(provider, 10001)), timeout: .seconds(30))
            #expect(first.status.code == 200)
            #expect(await eventually { provider.stats(for: alphaUser).openTitles == 1 })

            // The same title again (a player's second request): allowed.
            let same = try await fetch(movieURL(provider, 10001), headers: [("Range", "bytes=0-99")], client: client)
            #expect(same.status == 206)
            // Another title: refused, GET and HEAD alike.
            let other = try await fetch(movieURL(provider, 10002), client: client)
            #expect(other.status == 403)
            #expect(other.text.contains("max connections"))
            #expect(try await fetch(movieURL(provider, 10002), method: .HEAD, client: client).status == 403)
            #expect(provider.stats(for: alphaUser).maxOpenTitles == 1)

            // End the first viewing (no more delay, read it all): the other title is admitted.
            provider.setFaults(FixtureFaults(enforceMaxConnections: true), for: alphaUser)
            let firstBody = try await first.body.collect(upTo: 32 << 20)
            #expect(firstBody.readableBytes == 16_000_000)
            #expect(await eventually { provider.stats(for: alphaUser).openTitles == 0 })
            let later = try await fetch(movieURL(provider, 10002), headers: [("Range", "bytes=0-9")], client: client)
            #expect(later.status == 206)
            try await client.shutdown()
        }
    }
}
