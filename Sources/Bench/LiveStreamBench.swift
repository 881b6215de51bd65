import ArgumentParser
import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import XCModels

struct LiveStreamBenchOptions: ParsableArguments {
    @Flag(help: "Run only the live streaming benchmark (fan-out of one channel to many viewers, many channels, zapping).")
    var liveStreamOnly = false
    @Option(help: "Viewer counts of one channel to measure, comma-separated.") var liveViewers = "1,10,100,500"
    @Option(help: "Seconds each viewer count is watched.") var liveSeconds = 6.0
    @Option(help: "The fixture channels' bit rate, in Mbit/s.") var liveMbits = 8
}

/// Live channels through a `serve` child: one channel at `--live-mbits` watched by 1…500 viewers (provider
/// connections, server CPU per viewer-hour, server RSS, a joining viewer's time to first byte, bytes each
/// viewer got against what the channel sent), 50 channels × 4 viewers, and zapping on a one-connection
/// account (request to first byte). The viewers and the fixture provider run in this process; the CPU and
/// memory figures are the server's alone.
struct LiveStreamBench {
    let options: LiveStreamBenchOptions
    let work: URL

    func run() async throws {
        let wide = FixtureAccount(username: "wide", password: "p", maxConnections: 100, catalog: try .channels(Array(1...60), prefix: "Wide"))
        let single = FixtureAccount(username: "single", password: "p", maxConnections: 1, catalog: try .channels(Array(101...111), prefix: "Zap"))
        let provider = try await FixtureProvider.start(accounts: [wide, single], liveBitsPerSecond: options.liveMbits * 1_000_000)
        defer { Task { await provider.stop() } }
        var faults = provider.faults(for: "single")
        faults.enforceMaxConnections = true
        provider.setFaults(faults, for: "single")
        let dbPath = work.appendingPathComponent("live-stream-bench.sqlite").path
        let store = try Store(path: dbPath)
        try await store.addAccount(Account(name: "wide", baseURL: provider.baseURL, username: "wide", password: "p", maxConnections: 100))
        try await store.addAccount(Account(name: "single", baseURL: provider.baseURL, username: "single", password: "p", maxConnections: 1))
        try await store.addUser(User(username: "u", password: "p", maxConnections: 1000))
        let executable = try Bench.serverExecutable()
        let common = ["--db", dbPath, "--log-level", "warning"]
        _ = try await Bench.runChild(executable, ["sync", "--no-episodes", "--rate", "0"] + common)
        let (server, port) = try await Bench.startServer(executable, ["--epg-interval", "0", "--admin-token", "bench"] + common)
        defer { Task { await StreamBench.stop(server) } }
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(30)), decompression: .disabled)
        configuration.connectionPool = .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: 2000)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        try await StreamBench.waitForHealth(client: client, port: port)
        let base = "http://127.0.0.1:\(port)/live/u/p"
        let rate = Double(options.liveMbits) * 1e6 / 8
        print("live streaming: channels at \(options.liveMbits) Mbit/s; one login, all viewers from 127.0.0.1 (one viewing in the slot core, one reader each in the fan-out)")

        let counts = options.liveViewers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        for (index, viewers) in counts.enumerated() {
            let channel = index + 1
            let cpuBefore = StreamBench.cpuTime(pid: server.processIdentifier)
            let run = await Self.watch(client: client, urls: Array(repeating: "\(base)/\(channel).ts", count: viewers),
                                       seconds: options.liveSeconds, stagger: .milliseconds(viewers > 100 ? 2 : 10))
            let cpu = (StreamBench.cpuTime(pid: server.processIdentifier) - cpuBefore).total
            let rss = Bench.status(pid: server.processIdentifier, field: "VmRSS")
            let viewerHours = Double(viewers) * options.liveSeconds / 3600
            print(String(format: "%4d viewers of one channel: provider connections %d, server CPU %.0f s per viewer-hour, RSS %@, first byte p50 %.0f ms p99 %.0f ms, bytes per viewer %.2f of the channel's, %d failed",
                         viewers, provider.live.mostOpen(channel), cpu / viewerHours, StreamBench.megabytes(rss),
                         run.firstByte(0.5) * 1000, run.firstByte(0.99) * 1000, run.meanBytes / (rate * run.meanSeconds), run.failed))
            try await Task.sleep(for: .seconds(4))  // the channel's linger, so the next count starts clean
        }

        let cpuBefore = StreamBench.cpuTime(pid: server.processIdentifier)
        let urls = (11...60).flatMap { channel in Array(repeating: "\(base)/\(channel).ts", count: 4) }
        let many = await Self.watch(client: client, urls: urls, seconds: options.liveSeconds, stagger: .milliseconds(2))
        let cpu = (StreamBench.cpuTime(pid: server.processIdentifier) - cpuBefore).total
        let connections = (11...60).map { provider.live.mostOpen($0) }
        print(String(format: "50 channels x 4 viewers: provider connections %d (at most %d per channel), server CPU %.0f s per viewer-hour, RSS %@, first byte p99 %.0f ms, %d failed",
                     connections.reduce(0, +), connections.max() ?? 0, cpu / (200 * options.liveSeconds / 3600),
                     StreamBench.megabytes(Bench.status(pid: server.processIdentifier, field: "VmRSS")), many.firstByte(0.99) * 1000, many.failed))
        try await Task.sleep(for: .seconds(4))

        // Zapping on the one-connection account: each channel asked for as the last is closed.
        var zaps: [Double] = []
        var failed = 0
        for _ in 0..<3 {
            for channel in 101...111 {
                let run = await Self.watch(client: client, urls: ["\(base)/\(channel).ts"], seconds: 0.5, stagger: .zero)
                if run.failed > 0 { failed += 1 } else { zaps.append(run.firstByte(0.5)) }
            }
        }
        zaps.sort()
        let stats = provider.stats(for: "single")
        print(String(format: "zapping 33 times on a one-connection account: request to first byte p50 %.0f ms, p99 %.0f ms (the settle time, 300 ms, is in it); the provider saw at most %d connection(s), refused %d, %d zaps failed",
                     (zaps.isEmpty ? 0 : zaps[zaps.count / 2]) * 1000, (zaps.isEmpty ? 0 : zaps[min(zaps.count - 1, zaps.count * 99 / 100)]) * 1000,
                     stats.maxOpenStreams, stats.streamRequests.filter { $0.status >= 400 }.count, failed))
    }

    struct Run: Sendable {
        var firstBytes: [Double] = []
        var bytes: [Int] = []
        var seconds: [Double] = []
        var failed = 0

        func firstByte(_ p: Double) -> Double {
            guard !firstBytes.isEmpty else { return 0 }
            let sorted = firstBytes.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        var meanBytes: Double { bytes.isEmpty ? 0 : Double(bytes.reduce(0, +)) / Double(bytes.count) }
        var meanSeconds: Double { seconds.isEmpty ? 1 : seconds.reduce(0, +) / Double(seconds.count) }
    }

    /// Every url watched at once (joins `stagger` apart) for `seconds` after its first byte.
    static func watch(client: HTTPClient, urls: [String], seconds: Double, stagger: Duration) async -> Run {
        await withTaskGroup(of: (Double, Int, Double)?.self) { group in
            for (n, url) in urls.enumerated() {
                group.addTask {
                    try? await Task.sleep(for: stagger * n)
                    let started = ContinuousClock.now
                    do {
                        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                        guard response.status == .ok else { return nil }
                        var first: Double?
                        var received = 0
                        var watchedFrom = ContinuousClock.now
                        for try await chunk in response.body {
                            if first == nil {
                                first = started.duration(to: .now).inSeconds
                                watchedFrom = .now
                            }
                            received += chunk.readableBytes
                            if watchedFrom.duration(to: .now).inSeconds >= seconds { break }
                        }
                        return (first ?? 0, received, watchedFrom.duration(to: .now).inSeconds)
                    } catch {
                        return nil
                    }
                }
            }
            var run = Run()
            for await result in group {
                guard let (first, bytes, seconds) = result else {
                    run.failed += 1
                    continue
                }
                run.firstBytes.append(first)
                run.bytes.append(bytes)
                run.seconds.append(seconds)
            }
            return run
        }
    }
}
