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

/// Options of the load part of `xcserver-bench` (an option group of `Bench`).
struct LoadBenchOptions: ParsableArguments {
    @Flag(help: "Run only the load figures (many clients on the generated catalog, and a failing provider).") var loadOnly = false
    @Option(help: "Concurrent keep-alive clients of the load figures, comma-separated.") var loadClients = "20,50,200"
    @Option(help: "Seconds each load figure runs.") var loadSeconds = 5.0
    @Option(help: "Seconds the failing-provider scenario runs.") var failingSeconds = 20.0
    @Option(help: "Seconds one client asks for each big list (and nginx for its bytes).") var listSeconds = 3.0
    @Option(help: "Pin `serve` (and nginx) to these CPUs with taskset, e.g. 0 (run the bench itself pinned to the others).") var serverCpus: String?

    var clientCounts: [Int] { loadClients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 } }
}

/// The load figures of `xcserver-bench`: requests per second and latency of the cheap answers under many
/// concurrent clients, and what a failing provider sees while clients hammer titles it cannot answer for.
///
/// The fixture provider runs in this process, `xcserver sync --no-episodes` and `xcserver serve` as
/// children; the clients are `LoadClient` threads of this process. Everything is on loopback, on the same
/// cores.
struct LoadBench {
    let movies: Int
    let series: Int
    let episodesPerSeries: Int
    let options: LoadBenchOptions
    let work: URL

    /// Titles the healthy figures ask for (ids 1…20: their episodes and details are fetched once while
    /// warming up) and the ones the failing scenario asks for (never opened before).
    static let warmTitles = 1...20
    static let coldTitles = 1001...1020

    /// One figure: a name, the statuses that count as success, and the request of connection `c`'s `i`-th turn.
    struct Figure {
        var name: String
        var expect: Set<Int> = [200]
        var target: (perSecond: Double, p99: Double?)?
        var request: @Sendable (Int, Int) -> (path: String, headers: [String])
    }

    func run() async throws {
        print("load: generating \(movies) movies, \(series) series; fixture provider and clients in the bench process, sync and serve as children; loopback")
        let catalog = FixtureCatalog.generated(movies: movies, series: series, episodesPerSeries: episodesPerSeries, seed: 7)
        let provider = try await FixtureProvider.start(accounts: [
            FixtureAccount(username: "load", password: "load", maxConnections: 8, catalog: catalog), try RefusedAccount.fixture(),
        ])
        let dbPath = work.appendingPathComponent("load.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        let store = try Store(path: dbPath)
        try await store.addAccount(Account(name: "load", baseURL: provider.baseURL, username: "load", password: "load", maxConnections: 4))
        let refused = RefusedAccount.name
        try await store.addAccount(Account(name: refused, baseURL: provider.baseURL, username: refused, password: refused, maxConnections: 4))
        try await store.addUser(User(username: "u", password: "p", maxConnections: 4))
        let executable = try Bench.serverExecutable()
        let common = ["--db", dbPath, "--log-level", "warning"]
        try await Bench.runChild(executable, ["sync", "--no-episodes", "--rate", "0"] + common)

        let port = try await FixtureProvider.freePort()
        let logPath = work.appendingPathComponent("load-serve.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let server = Process()
        let serve = ["serve", "--host", "127.0.0.1", "--port", String(port), "--sync-interval", "0", "--admin-token", "bench"] + common
        if let cpus = options.serverCpus {
            server.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            server.arguments = ["-c", cpus, executable] + serve
        } else {
            server.executableURL = URL(fileURLWithPath: executable)
            server.arguments = serve
        }
        server.standardError = FileHandle(forWritingAtPath: logPath)
        try server.run()
        var failure: (any Error)?
        do {
            try await StreamBench.waitForHealth(client: .shared, port: port)
            try await warmUp(port: port, store: store)
            for clients in options.clientCounts {
                try await measure(port: port, clients: clients)
            }
            try await StaticListBench(port: port, serverPID: server.processIdentifier, work: work, serverCPUs: options.serverCpus,
                                      seconds: options.listSeconds).run()
            try await failingProvider(port: port, provider: provider, logPath: logPath)
            try await refusingProvider(port: port, provider: provider, logPath: logPath)
        } catch {
            failure = error
        }
        await StreamBench.stop(server)
        await provider.stop()
        if let failure { throw failure }
    }

    static let api = "/player_api.php?username=u&password=p"

    var figures: [Figure] {
        let api = Self.api
        let titles = Self.warmTitles
        @Sendable func title(_ c: Int, _ i: Int) -> Int { titles.lowerBound + (c + i) % titles.count }
        return [
            Figure(name: "auth", target: (3000, nil)) { _, _ in (api, []) },
            Figure(name: "get_vod_categories", target: (2000, 5)) { _, _ in (api + "&action=get_vod_categories", []) },
            Figure(name: "get_series_categories", target: (2000, 5)) { _, _ in (api + "&action=get_series_categories", []) },
            Figure(name: "get_live_categories", target: (2000, 5)) { _, _ in (api + "&action=get_live_categories", []) },
            Figure(name: "get_vod_info", target: (3000, nil)) { c, i in (api + "&action=get_vod_info&vod_id=\(title(c, i))", []) },
            Figure(name: "get_series_info", target: nil) { c, i in (api + "&action=get_series_info&series_id=\(title(c, i))", []) },
            Figure(name: "ranged stream open (1 KiB)", expect: [206], target: nil) { _, _ in ("/movie/u/p/1.mkv", ["Range: bytes=0-1023"]) },
        ]
    }

    /// Fetches the episodes and details of the titles the figures ask for, so they measure the store.
    private func warmUp(port: Int, store: Store) async throws {
        // Through the event-loop client: a blocking socket here would stall the loop the fixture answers on.
        func get(_ query: String) async throws {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(Self.api)&\(query)"), timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 64 << 20)
        }
        for id in Self.warmTitles { try await get("action=get_series_info&series_id=\(id)") }
        // Details are fetched in the background at the account's rate; ask until the store has them all.
        for _ in 0..<60 {
            let missing = try await store.moviesWithoutDetail(publicIDs: Int64(Self.warmTitles.lowerBound)...Int64(Self.warmTitles.upperBound))
            if missing.isEmpty { return }
            for id in missing { try await get("action=get_vod_info&vod_id=\(id)") }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw UserFacingError("the details of movies \(Self.warmTitles) were not fetched within 30 s")
    }

    private func measure(port: Int, clients: Int) async throws {
        print(String(format: "load, %d concurrent keep-alive clients, %.0f s per figure, %d titles:", clients, options.loadSeconds, movies + series))
        for figure in figures {
            let result = await LoadClient(port: port, clients: clients)
                .run(duration: .milliseconds(Int64(options.loadSeconds * 1000)), expect: figure.expect, request: figure.request)
            var verdict = ""
            if let target = figure.target, clients == 50 {
                let met = result.perSecond >= target.perSecond && target.p99.map { result.percentile(0.99) < $0 } != false && result.errors == 0
                verdict = " (target at 50 clients ≥ \(Int(target.perSecond))/s\(target.p99.map { String(format: ", p99 < %.0f ms", $0) } ?? "")) \(met ? "OK" : "MISSED")"
            }
            print(String(format: "   %@: %.0f/s, p50 %.2f ms, p99 %.2f ms, %d requests, %d errors%@", figure.name, result.perSecond,
                         result.percentile(0.5), result.percentile(0.99), result.requests, result.errors, verdict))
            if let error = result.firstError { print("      first error: \(error)") }
        }
    }

    /// `get_series_info` and `get_vod_info` answer HTTP 500; 20 clients ask for 20 series and 20 films
    /// never opened before. What the provider and the log get is the figure.
    private func failingProvider(port: Int, provider: FixtureProvider, logPath: String) async throws {
        provider.setFaults(FixtureFaults(apiStatus: 500), for: "load")
        provider.resetStats()
        let linesBefore = Self.lineCount(logPath)
        let titles = Self.coldTitles
        let clients = 20
        let result = await LoadClient(port: port, clients: clients).run(duration: .milliseconds(Int64(options.failingSeconds * 1000))) { c, i in
            let id = titles.lowerBound + (c + i) % titles.count
            return (c % 2 == 0 ? Self.api + "&action=get_series_info&series_id=\(id)" : Self.api + "&action=get_vod_info&vod_id=\(id)", [])
        }
        provider.setFaults(.none, for: "load")
        let asked = provider.stats(for: "load").apiRequests
        let seriesInfo = asked["get_series_info"] ?? 0
        let vodInfo = asked["get_vod_info"] ?? 0
        let lines = Self.lineCount(logPath) - linesBefore
        print(String(format: "failing provider (player_api.php answers HTTP 500), %d clients for %.0f s on %d series whose episodes and %d films whose details were never fetched:",
                     clients, options.failingSeconds, titles.count, titles.count))
        print(String(format: "   clients: %.0f answers/s, p50 %.2f ms, p99 %.2f ms (target < 20 ms) %@, %d requests, %d errors",
                     result.perSecond, result.percentile(0.5), result.percentile(0.99), result.percentile(0.99) < 20 ? "OK" : "MISSED",
                     result.requests, result.errors))
        print("   provider: \(seriesInfo) get_series_info and \(vodInfo) get_vod_info requests (target ≤ \(2 * titles.count): one per item per back-off) \(seriesInfo + vodInfo <= 2 * titles.count ? "OK" : "MISSED"); serve logged \(lines) lines meanwhile")
        if let error = result.firstError { print("      first error: \(error)") }
    }

    /// A fresh account (`RefusedAccount`: its own titles, never asked before) whose address changed to
    /// a closed loopback port (every fetch refused), 20 clients for the same time on its 20 series and 20
    /// films, none opened before. Nothing listens, so the figures are the clients', the log's, and what
    /// the fixture provider still got from that account (nothing, unless the address change was missed).
    private func refusingProvider(port: Int, provider: FixtureProvider, logPath: String) async throws {
        let closed = try await FixtureProvider.freePort()
        try await setAccountURL(port: port, account: RefusedAccount.name, "http://127.0.0.1:\(closed)")
        provider.resetStats()
        let linesBefore = Self.lineCount(logPath)
        let series = RefusedAccount.seriesIDs, films = RefusedAccount.movieIDs
        let result = await LoadClient(port: port, clients: 20).run(duration: .milliseconds(Int64(options.failingSeconds * 1000))) { c, i in
            let k = (c + i) % series.count
            return (c % 2 == 0 ? Self.api + "&action=get_series_info&series_id=\(series.lowerBound + k)"
                               : Self.api + "&action=get_vod_info&vod_id=\(films.lowerBound + k)", [])
        }
        let reached = provider.stats(for: RefusedAccount.name).apiRequests.values.reduce(0, +)
        let lines = Self.lineCount(logPath) - linesBefore
        print(String(format: "refusing provider (connection refused), fresh account, 20 clients for %.0f s on %d unfetched series and %d films:",
                     options.failingSeconds, series.count, films.count))
        print(String(format: "   clients: %.0f answers/s, p50 %.2f ms, p99 %.2f ms (target < 20 ms) %@, %d requests, %d errors",
                     result.perSecond, result.percentile(0.5), result.percentile(0.99), result.percentile(0.99) < 20 ? "OK" : "MISSED",
                     result.requests, result.errors))
        print("   provider: \(reached) requests reached it (its address is a closed port); serve logged \(lines) lines meanwhile")
        if let error = result.firstError { print("      first error: \(error)") }
    }

    private func setAccountURL(port: Int, account: String, _ url: String) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/accounts/\(account)")
        request.method = .PATCH
        request.headers.add(name: "Authorization", value: "Bearer bench")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"url": "\#(url)"}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw UserFacingError("PATCH /api/accounts/\(account) answered \(response.status.code)") }
    }

    static func lineCount(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
    }
}
