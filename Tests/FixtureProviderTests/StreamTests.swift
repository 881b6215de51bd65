import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import FixtureProvider

@Suite struct StreamTests {
    let alpha: FixtureAccount
    let beta: FixtureAccount

    init() throws {
        alpha = try .alpha()
        beta = try .beta()
    }

    func movieURL(_ provider: FixtureProvider, _ id: Int, ext: String = "mkv", account: String = "alpha") -> String {
        provider.streamURL(username: account, password: account == "alpha" ? alphaPass : betaPass, streamID: id, ext: ext)
    }

    @Test func fullGetIsByteExact() async throws {
        try await withProvider([alpha, beta]) { provider async throws in
            let answer = try await fetch(movieURL(provider, 10001), headers: [("User-Agent", "TiviMate/5.1.6")])
            #expect(answer.status == 200)
            #expect(answer.header("Content-Length") == "2000000")
            #expect(answer.header("Accept-Ranges") == "bytes")
            #expect(answer.header("Content-Type") == "video/x-matroska")
            #expect(answer.header("Content-Range") == nil)
            #expect(answer.body.count == 2_000_000)
            #expect(answer.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 0 ..< 2_000_000))
            let stats = provider.stats(for: alphaUser)
            #expect(stats.bytesServed == 2_000_000)
            let record = try #require(stats.streamRequests.last)
            #expect(record == FixtureStreamRequest(method: "GET", kind: "movie", streamID: 10001, range: nil, userAgent: "TiviMate/5.1.6", status: 200, viaLoadBalancer: false))
        }
    }

    @Test func rangeForms() async throws {
        try await withProvider([alpha, beta]) { provider async throws in
            let url = movieURL(provider, 10001)
            let closed = try await fetch(url, headers: [("Range", "bytes=1000-1999")])
            #expect(closed.status == 206)
            #expect(closed.header("Content-Range") == "bytes 1000-1999/2000000")
            #expect(closed.header("Content-Length") == "1000")
            #expect(closed.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 1000 ..< 2000))

            let open = try await fetch(url, headers: [("Range", "bytes=1999001-")])
            #expect(open.status == 206)
            #expect(open.header("Content-Range") == "bytes 1999001-1999999/2000000")
            #expect(open.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 1_999_001 ..< 2_000_000))

            let suffix = try await fetch(url, headers: [("Range", "bytes=-500")])
            #expect(suffix.status == 206)
            #expect(suffix.header("Content-Range") == "bytes 1999500-1999999/2000000")
            #expect(suffix.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 1_999_500 ..< 2_000_000))

            // An end beyond the file is clamped; an odd start offset is byte-exact too.
            let clamped = try await fetch(url, headers: [("Range", "bytes=1999993-5000000")])
            #expect(clamped.status == 206)
            #expect(clamped.header("Content-Range") == "bytes 1999993-1999999/2000000")
            #expect(clamped.body == FixtureProvider.expectedBytes(account: alpha, streamID: 10001, range: 1_999_993 ..< 2_000_000))

            for unsatisfiable in ["bytes=2000000-", "bytes=2000000-2000001", "bytes=-0"] {
                let answer = try await fetch(url, headers: [("Range", unsatisfiable)])
                #expect(answer.status == 416, "\(unsatisfiable)")
                #expect(answer.header("Content-Range") == "bytes */2000000", "\(unsatisfiable)")
            }
            // Malformed ranges are ignored (full 200), as nginx does.
            let garbage = try await fetch(url, headers: [("Range", "bytes=abc")])
            #expect(garbage.status == 200)
            #expect(garbage.body.count == 2_000_000)
        }
    }

    @Test func headHasHeadersAndNoBody() async throws {
        try await withProvider([alpha, beta]) { provider async throws in
            let head = try await fetch(movieURL(provider, 10002, ext: "mp4"), method: .HEAD)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "2000000")
            #expect(head.header("Content-Type") == "video/mp4")
            #expect(head.header("Accept-Ranges") == "bytes")
            #expect(head.body.isEmpty)
            let ranged = try await fetch(movieURL(provider, 10002, ext: "mp4"), method: .HEAD, headers: [("Range", "bytes=100-")])
            #expect(ranged.status == 206)
            #expect(ranged.header("Content-Range") == "bytes 100-1999999/2000000")
            #expect(ranged.header("Content-Length") == "1999900")
            #expect(ranged.body.isEmpty)
            let stats = provider.stats(for: alphaUser)
            #expect(stats.bytesServed == 0)
            #expect(stats.maxOpenStreams == 0)
            #expect(stats.streamRequests.map(\.method) == ["HEAD", "HEAD"])
        }
    }

    @Test func idsCredentialsAndKinds() async throws {
        try await withProvider([alpha, beta]) { provider async throws in
            let encoded = FixtureProvider.percentEncode(alphaPass)
            // Episode ids stream under /series/, not under /movie/, and the other way round.
            let episode = try await fetch(provider.streamURL(kind: "series", username: alphaUser, password: alphaPass, streamID: 11001), headers: [("Range", "bytes=0-99")])
            #expect(episode.status == 206)
            #expect(episode.body == FixtureProvider.expectedBytes(account: alpha, streamID: 11001, range: 0 ..< 100))
            #expect(try await fetch(provider.streamURL(kind: "series", username: alphaUser, password: alphaPass, streamID: 11203)).status == 404)  // episode without id
            #expect(try await fetch(movieURL(provider, 11001)).status == 404)
            #expect(try await fetch(provider.streamURL(kind: "series", username: alphaUser, password: alphaPass, streamID: 10001)).status == 404)
            #expect(try await fetch(movieURL(provider, 10009)).status == 404)  // the list item without stream_id
            #expect(try await fetch(movieURL(provider, 20001)).status == 404)  // beta's id on alpha
            // Bad credentials: 401, as real panels do.
            #expect(try await fetch(provider.streamURL(username: alphaUser, password: "wrong", streamID: 10001)).status == 401)
            #expect(try await fetch(provider.streamURL(username: "nobody", password: "x", streamID: 10001)).status == 401)
            // An unencoded '/' in the password makes another path: not found.
            #expect(try await fetch("\(provider.baseURL)/movie/alpha/a+b&c/d%20e/10001.mkv").status == 404)
            // '+' is literal in a path segment (rawurldecode), so this spelling is the same password.
            #expect(try await fetch("\(provider.baseURL)/movie/alpha/a+b%26c%2Fd%20e/10001.mkv", headers: [("Range", "bytes=0-0")]).status == 206)
            // Extension is advisory; it only picks the Content-Type.
            let ts = try await fetch("\(provider.baseURL)/movie/alpha/\(encoded)/10001.ts", method: .HEAD)
            #expect(ts.status == 200)
            #expect(ts.header("Content-Type") == "application/octet-stream")

            // Same stream id on beta is another film, another file: other bytes, other length.
            let betaCopy = try await fetch(movieURL(provider, 10007, account: "beta"), headers: [("Range", "bytes=0-999")])
            #expect(betaCopy.header("Content-Range") == "bytes 0-999/1800000")
            #expect(betaCopy.body == FixtureProvider.expectedBytes(account: beta, streamID: 10007, range: 0 ..< 1000))
            #expect(betaCopy.body != FixtureProvider.expectedBytes(account: alpha, streamID: 10007, range: 0 ..< 1000))
            #expect(provider.stats(for: alphaUser).streamRequests.filter { $0.status == 401 }.count == 1)
        }
    }

    @Test func mediaSizesAndMediaFiles() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fixture-media-\(UUID().uuidString).bin").path
        let content = (0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(content).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var account = alpha
        account.mediaSizes = [10002: 123_457]
        account.mediaFiles = [10003: path]
        try await withProvider([account]) { provider async throws in
            let sized = try await fetch(movieURL(provider, 10002, ext: "mp4"))
            #expect(sized.body.count == 123_457)
            #expect(sized.body == FixtureProvider.expectedBytes(account: account, streamID: 10002, range: 0 ..< 123_457))
            let file = try await fetch(movieURL(provider, 10003))
            #expect(file.header("Content-Length") == "300000")
            #expect(file.body == content)
            let part = try await fetch(movieURL(provider, 10003), headers: [("Range", "bytes=70000-200001")])
            #expect(part.header("Content-Range") == "bytes 70000-200001/300000")
            #expect(part.body == Array(content[70000 ... 200_001]))
            #expect(FixtureProvider.expectedBytes(account: account, streamID: 10003, range: 5 ..< 10) == Array(content[5 ..< 10]))
        }
    }

    @Test func openStreamsAreCountedAndReturnToZero() async throws {
        try await withProvider([alpha, beta]) { provider async throws in
            // 2 MB at one 64 KiB chunk per 40 ms: each response stays open ~1.2 s.
            provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(40)), for: alphaUser)
            let urls = [movieURL(provider, 10001), movieURL(provider, 10001), movieURL(provider, 10002, ext: "mp4")]
            try await withThrowingTaskGroup(of: Int.self) { group in
                for url in urls {
                    group.addTask { try await fetch(url).body.count }
                }
                var sawOpen = false
                for _ in 0 ..< 400 {
                    let stats = provider.stats(for: alphaUser)
                    if stats.openStreams == 3 {
                        sawOpen = true
                        #expect(stats.openTitles == 2)
                        // active_cons reports open titles.
                        let auth = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass))
                        #expect(auth.text.contains(#""active_cons":"2""#))
                        break
                    }
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(sawOpen)
                for try await count in group { #expect(count == 2_000_000) }
            }
            let stats = provider.stats(for: alphaUser)
            #expect(stats.maxOpenStreams == 3)
            #expect(stats.maxOpenTitles == 2)
            #expect(await eventually { provider.stats(for: alphaUser).openStreams == 0 })
            #expect(provider.stats(for: alphaUser).openTitles == 0)

            // A client that goes away mid-body: the counts still return to 0.
            provider.resetStats()
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let url = movieURL(provider, 10001)
            let reader = Task {
                let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                var received = 0
                for try await chunk in response.body {
                    received += chunk.readableBytes
                }
                return received
            }
            #expect(await eventually { provider.stats(for: alphaUser).openStreams == 1 })
            try await Task.sleep(for: .milliseconds(50))
            reader.cancel()
            _ = await reader.result
            #expect(await eventually { provider.stats(for: alphaUser).openStreams == 0 })
            #expect(provider.stats(for: alphaUser).openTitles == 0)
            #expect(provider.stats(for: alphaUser).bytesServed < 2_000_000)
            try await client.shutdown()
        }
    }

    @Test func stopDoesNotHangWithAStalledClient() async throws {
        var big = alpha
        big.mediaSize = 1 << 30
        let provider = try await FixtureProvider.start(accounts: [big])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        // Read the head, never the body: the server blocks on back-pressure.
        let response = try await client.execute(HTTPClientRequest(url: movieURL(provider, 10001)), timeout: .seconds(30))
        #expect(response.status.code == 200)
        #expect(await eventually { provider.stats(for: alphaUser).openStreams == 1 })
        let started = ContinuousClock.now
        await provider.stop()
        #expect(ContinuousClock.now - started < .seconds(30), "stop ends a stalled stream instead of waiting on it")
        #expect(provider.stats(for: alphaUser).openStreams == 0)
        await provider.stop()  // twice is harmless
        _ = try? await response.body.collect(upTo: 2 << 30)
        try await client.shutdown()
    }
}
