import ArgumentParser
import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import Sync
import XCModels
#if canImport(Glibc)
import Glibc
#endif

/// `xcserver-bench`: measures the catalog path on a generated provider of realistic size, the answers
/// under many concurrent clients and a failing provider (`LoadBench`), and streaming (`StreamBench`).
///
/// The sync and the server run as child processes of this one (the `xcserver` built beside it, `sync`
/// and `serve`), so their memory figures are theirs alone and not the fixture provider's. Run it in
/// release: `swift build -c release && swift run -c release xcserver-bench`.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xcserver-bench", abstract: "Benchmark sync, catalog answers, load and streaming of xcserver on a generated catalog.")

    @Option var movies = 100_000
    @Option var series = 10_000
    @Option var episodesPerSeries = 20
    @Option(help: "get_vod_streams requests to take the median of.") var runs = 7
    @Option(help: "Working directory (default: a temporary one).") var directory: String?
    @OptionGroup var streams: StreamBenchOptions
    @OptionGroup var load: LoadBenchOptions
    @Flag(help: "Only compare list sync without and with variant copies (interleaved, --runs rounds).") var variantSync = false
    @OptionGroup var sockets: SocketBenchOptions
    @OptionGroup var live: LiveBenchOptions
    @OptionGroup var liveStream: LiveStreamBenchOptions

    func run() async throws {
        let work = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(at: work) } }
        if variantSync {
            return try await VariantSyncBench(movies: movies, series: series, runs: runs, work: work).run()
        }
        if streams.slotsOnly { return StreamBench(options: streams, work: work).slotDecisions() }
        if sockets.socketsOnly { return try await SocketBench(options: sockets, work: work).run() }
        if live.liveOnly { return try await LiveBench(options: live, work: work).run() }
        if liveStream.liveStreamOnly { return try await LiveStreamBench(options: liveStream, work: work).run() }
        if !streams.streamsOnly && !load.loadOnly { try await runCatalog(work) }
        if !streams.streamsOnly && !streams.catalogOnly {
            try await LoadBench(movies: movies, series: series, episodesPerSeries: episodesPerSeries, options: load, work: work).run()
        }
        if !streams.catalogOnly && !load.loadOnly { try await StreamBench(options: streams, work: work).run() }
    }

    private func runCatalog(_ work: URL) async throws {
        let dbPath = work.appendingPathComponent("bench.sqlite").path

        print("generating \(movies) movies, \(series) series, \(series * episodesPerSeries) episodes…")
        // With variant copies (10 % 4K, 3 % French), as real panels list them (docs/variants.md).
        let catalog = FixtureCatalog.generated(movies: movies, series: series, episodesPerSeries: episodesPerSeries, seed: 7, variants: true)
        let account = FixtureAccount(username: "bench", password: "bench", maxConnections: 4, catalog: catalog)
        let provider = try await FixtureProvider.start(accounts: [account])
        defer { Task { await provider.stop() } }
        let store = try Store(path: dbPath)
        try await store.addAccount(Account(name: "bench", baseURL: provider.baseURL, username: "bench", password: "bench", maxConnections: 4))
        try await store.addUser(User(username: "u", password: "p", maxConnections: 4))

        let executable = try Bench.serverExecutable()
        let common = ["--db", dbPath, "--log-level", "warning"]

        let lists = try await Self.runChild(executable, ["sync", "--no-episodes", "--rate", "0"] + common)
        let listRows = movies + series
        print(String(format: "sync, movie and series lists: %.2f s (%.0f rows/s), peak RSS %@", lists.seconds,
                     Double(listRows) / lists.seconds, StreamBench.megabytes(lists.peakRSSKB)))
        let episodes = try await Self.runChild(executable, ["sync", "--concurrency", "8", "--rate", "0"] + common)
        print(String(format: "sync, episodes (%d get_series_info calls, lists unchanged): %.2f s (%.0f episodes/s), peak RSS %@",
                     series, episodes.seconds, Double(series * episodesPerSeries) / episodes.seconds, StreamBench.megabytes(episodes.peakRSSKB)))
        let resync = try await Self.runChild(executable, ["sync", "--rate", "0"] + common)
        print(String(format: "re-sync, nothing changed: %.2f s", resync.seconds))

        let (server, port) = try await Self.startServer(executable, ["--admin-token", "bench"] + common)
        do {
            try await measureLists(port: port, server: server)
        } catch {
            await StreamBench.stop(server)
            throw error
        }
        await StreamBench.stop(server)
    }

    private func measureLists(port: Int, server: Process) async throws {
        try await StreamBench.waitForHealth(client: .shared, port: port)
        let url = "http://127.0.0.1:\(port)/player_api.php?username=u&password=p&action=get_vod_streams"
        let baseline = Self.status(pid: server.processIdentifier, field: "VmRSS")
        var times: [Double] = []
        var size = 0
        for _ in 0..<runs {
            let started = ContinuousClock.now
            size = try await fetch(url, gzip: false)
            times.append(started.duration(to: .now).inSeconds)
        }
        let gzipStarted = ContinuousClock.now
        let gzipSize = try await fetch(url, gzip: true)
        let gzipSeconds = gzipStarted.duration(to: .now).inSeconds
        let peak = Self.status(pid: server.processIdentifier, field: "VmHWM")
        times.sort()
        print(String(format: "get_vod_streams, %d titles, %.1f MB: median %.0f ms (min %.0f, max %.0f) over %d runs",
                     movies, Double(size) / 1e6, times[times.count / 2] * 1000, times[0] * 1000, times[times.count - 1] * 1000, runs))
        print(String(format: "get_vod_streams gzip: %.0f ms, %.1f MB on the wire", gzipSeconds * 1000, Double(gzipSize) / 1e6))
        print("server RSS: \(StreamBench.megabytes(baseline)) idle after start, peak \(StreamBench.megabytes(peak)) (growth \(StreamBench.megabytes(peak - baseline)))")
    }

    struct ChildRun {
        var seconds: Double
        var peakRSSKB: Int
        /// CPU seconds (user and kernel) the child used, as last sampled: on a busy machine a steadier
        /// figure than `seconds`.
        var cpuSeconds = 0.0
    }

    /// Runs a child to its end, sampling its memory, without blocking a thread: the fixture provider it
    /// syncs from answers on this process's event loops, which are also the tasks' executor.
    @discardableResult
    static func runChild(_ executable: String, _ arguments: [String], errorLog: URL? = nil) async throws -> ChildRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        if let errorLog {
            _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errorLog)
        }
        let started = ContinuousClock.now
        try process.run()
        // Sample the child's peak while it runs: getrusage(RUSAGE_CHILDREN) would mix in earlier children.
        var peak = 0
        var cpu = 0.0
        while process.isRunning {
            peak = max(peak, Self.status(pid: process.processIdentifier, field: "VmHWM"))
            cpu = max(cpu, StreamBench.cpuTime(pid: process.processIdentifier).total)
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = started.duration(to: .now).inSeconds
        guard process.terminationStatus == 0 else {
            throw UserFacingError("`xcserver \(arguments.joined(separator: " "))` failed with status \(process.terminationStatus)")
        }
        return ChildRun(seconds: seconds, peakRSSKB: peak, cpuSeconds: cpu)
    }


    private func fetch(_ url: String, gzip: Bool) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        if gzip { request.headers.add(name: "Accept-Encoding", value: "gzip") }
        // The shared client inflates gzip by itself; this one counts the bytes as they cross the wire.
        let response = try await Self.rawClient.execute(request, timeout: .seconds(60))
        var size = 0
        for try await buffer in response.body { size += buffer.readableBytes }
        return size
    }

    static let rawClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .disabled))

    /// A `kB` field of `/proc/PID/status` (VmRSS, VmHWM), 0 when unreadable.
    static func status(pid: Int32, field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
