import ArgumentParser
import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import XCModels
import XCServerKit

/// Options of the sockets part of `xcserver-bench` (docs/sockets.md).
struct SocketBenchOptions: ParsableArguments {
    @Flag(help: "Run only the socket figures: TiviMate-pattern time to first byte, strict against tolerant, and memory with many strict viewings.")
    var socketsOnly = false
    @Option(help: "TiviMate-pattern viewings per arm (strict, tolerant), interleaved.") var socketRuns = 40
    @Option(help: "Strict viewings held at once for the memory figure.") var socketViewings = 200
}

/// What a viewing on one upstream socket costs: the playback request's time to first byte in the TiviMate
/// pattern (probe, index near the end and playback at once) on a `strict` account against a `tolerant` one,
/// interleaved viewing by viewing on one provider account whose `socket_limit` is switched between them; and
/// the serve child's memory with many strict viewings each holding its probe cache.
struct SocketBench {
    let options: SocketBenchOptions
    let work: URL

    static let mediaSize = 4_000_000

    func run() async throws {
        let runs = max(1, options.socketRuns), viewings = max(1, options.socketViewings)
        let titles = 2 * runs + viewings
        let catalog = FixtureCatalog.generated(movies: titles, series: 0, episodesPerSeries: 0, seed: 17)
        let account = FixtureAccount(username: "sock", password: "bench", maxConnections: viewings + 16, catalog: catalog,
                                     mediaSeed: 0x50C, mediaSize: Self.mediaSize)
        let provider = try await FixtureProvider.start(accounts: [account])
        let dbPath = work.appendingPathComponent("sockets.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        let store = try Store(path: dbPath)
        var stored = try await store.addAccount(Account(name: "sock", baseURL: provider.baseURL, username: "sock", password: "bench",
                                                        maxConnections: viewings + 16))
        try await store.addUser(User(username: "u", password: "p", maxConnections: viewings + 16))
        let executable = try Bench.serverExecutable()
        let common = ["--db", dbPath, "--log-level", "warning"]
        try await Bench.runChild(executable, ["sync", "--no-episodes", "--rate", "0"] + common)
        let ids = try await store.moviePublicIDsByStreamID().sorted { $0.key < $1.key }.map(\.value)
        guard ids.count == titles else { throw UserFacingError("the sockets catalog synced \(ids.count) movies, expected \(titles)") }

        let (server, port) = try await Bench.startServer(executable, ["--grace", "30"] + common)
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(20)), decompression: .disabled)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 3 * viewings + 16)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        func url(_ n: Int) -> String { "http://127.0.0.1:\(port)/movie/u/p/\(ids[n]).mkv" }

        try await StreamBench.running(server, client, provider) {
            try await StreamBench.waitForHealth(client: client, port: port)
            print("sockets: TiviMate pattern (probe without Range read 64 KiB, index bytes=size-200000-, playback bytes=size/4-, at once), \(runs) viewings per arm, interleaved, one title per viewing")
            var ttfb: [SocketLimit: [Double]] = [:]
            for n in 0..<(2 * runs) {
                let limit: SocketLimit = n % 2 == 0 ? .strict : .tolerant
                stored.socketLimit = limit
                try await store.updateAccount(stored)
                ttfb[limit, default: []].append(try await Self.tiviMate(client, url(n)))
            }
            let (sMedian, sP90) = StreamBench.medianP90(ttfb[.strict] ?? [])
            let (tMedian, tP90) = StreamBench.medianP90(ttfb[.tolerant] ?? [])
            print(String(format: "S1. playback time to first byte: strict median %.2f ms (p90 %.2f), tolerant median %.2f ms (p90 %.2f); strict adds %.2f ms at the median (target ≤ 50 ms) %@",
                         sMedian, sP90, tMedian, tP90, sMedian - tMedian, sMedian - tMedian <= 50 ? "OK" : "ABOVE TARGET"))

            stored.socketLimit = .strict
            try await store.updateAccount(stored)
            try await Task.sleep(for: .seconds(1))
            let before = Bench.status(pid: server.processIdentifier, field: "VmRSS")
            // Each viewing probes the head and the index near the end, then lingers with its socket and cache.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<viewings {
                    let target = url(2 * runs + n)
                    group.addTask {
                        _ = try await StreamBench.fetch(client, target, range: "bytes=0-262143")
                        _ = try await StreamBench.fetch(client, target, range: "bytes=\(Self.mediaSize - 200_000)-")
                    }
                }
                try await group.waitForAll()
            }
            let after = Bench.status(pid: server.processIdentifier, field: "VmRSS")
            let sockets = provider.stats(for: "sock").openSockets
            print("S2. \(viewings) strict viewings lingering after probing head (256 KiB) and index (200 KB): provider sees \(sockets) open sockets; serve RSS \(StreamBench.megabytes(before)) -> \(StreamBench.megabytes(after)) (+\(StreamBench.megabytes(after - before))); probe cache bound \(viewings) x 512 KiB = \(viewings / 2) MiB")
        }
    }

    /// One viewing's three concurrent requests; returns the playback request's time to first byte in ms.
    static func tiviMate(_ client: HTTPClient, _ url: String) async throws -> Double {
        async let probe: Void = { var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "TiviMate")
            let response = try await client.execute(request, timeout: .seconds(20))
            var read = 0
            for try await chunk in response.body { read += chunk.readableBytes; if read >= 64 << 10 { break } }
        }()
        async let index = StreamBench.fetch(client, url, range: "bytes=\(mediaSize - 200_000)-")
        async let playback = StreamBench.fetch(client, url, range: "bytes=\(mediaSize / 4)-")
        let (played, indexed) = try await (playback, index)
        try await probe
        guard played.status == 206, indexed.status == 206, played.bytes == mediaSize - mediaSize / 4 else {
            throw UserFacingError("TiviMate pattern answered playback \(played.status) with \(played.bytes) bytes, index \(indexed.status)")
        }
        return played.firstByte.inSeconds * 1000
    }
}
