import ArgumentParser
import AsyncHTTPClient
import FixtureProvider
import Foundation
import Logging
import NIOCore
import NIOPosix
import Sync
import Synchronization
import XCModels
import XCServerKit
#if canImport(Glibc)
import Glibc
#endif

/// Options of the streaming part of `xcserver-bench` (an option group of `Bench`).
struct StreamBenchOptions: ParsableArguments {
    @Flag(help: "Run only the streaming figures (skip the catalog and load parts).") var streamsOnly = false
    @Flag(help: "Run only the catalog figures (skip the load and streaming parts).") var catalogOnly = false
    @Option(help: "Size in MB (10^6 bytes) of the title streamed whole, direct and through xcserver.") var bigStreamMB = 1000
    @Option(help: "Runs of the whole-title stream, each way, interleaved (the best is reported).") var throughputRuns = 5
    @Option(help: "Sequential 1 KiB ranged requests for the time-to-first-byte figure, each way.") var ttfbRequests = 200
    @Option(help: "Concurrent ranged streams through xcserver.") var concurrentStreams = 200
    @Option(help: "MB (10^6 bytes) each concurrent stream reads.") var concurrentMB = 10
    @Option(help: "How many of the concurrent streams may be opening (waiting for their response head) at once; 0: all at once.")
    var openConcurrency = 0
    @Option(help: "Acquire+release iterations per slot-core run.") var slotIterations = 1_000_000
    @Flag(help: "Run only the slot-decision figures (the slot core in this process, no HTTP).") var slotsOnly = false
}

/// The streaming figures of `xcserver-bench`, on a small generated catalog (the catalog part covers size).
///
/// Processes: the fixture provider and every HTTP client run in this (bench) process; `xcserver serve` runs as
/// a child on a database synced by an `xcserver sync` child, so its RSS is its own. Everything is on loopback.
/// The slot-core figure runs `InProcessSlotCore` in this process, with no HTTP at all.
struct StreamBench {
    let options: StreamBenchOptions
    /// Where the database goes (the bench's working directory).
    let work: URL

    static let providerUser = "stream"
    static let providerPass = "bench"
    static let adminToken = "bench-admin"
    /// Stream ids in the fixture (generated catalog: movie index i has stream id i + 1).
    static let bigStreamID = 1
    static let ttfbStreamID = 2
    static let firstConcurrentStreamID = 3

    /// What the figures share: the fixture provider, the serve child and a client sized for the concurrent run.
    struct Environment {
        let provider: FixtureProvider
        let server: Process
        let port: Int
        let client: HTTPClient
        /// Fixture stream id -> xcserver public movie id.
        let publicIDs: [Int: Int64]
        /// xcserver user name -> id.
        let userIDs: [String: Int64]

        var serverPID: Int32 { server.processIdentifier }

        func direct(_ streamID: Int) -> String {
            provider.streamURL(username: StreamBench.providerUser, password: StreamBench.providerPass, streamID: streamID)
        }

        func proxied(_ streamID: Int, user: String) -> String {
            "http://127.0.0.1:\(port)/movie/\(user)/p/\(publicIDs[streamID]!).mkv"
        }
    }

    func run() async throws {
        let concurrent = max(1, options.concurrentStreams)
        let maxConnections = concurrent + 16
        print("streaming: fixture provider and clients in the bench process (pid \(getpid())), xcserver serve as a child; loopback only")
        let catalog = FixtureCatalog.generated(movies: concurrent + 2, series: 0, episodesPerSeries: 0, seed: 11)
        let account = FixtureAccount(
            username: Self.providerUser, password: Self.providerPass, maxConnections: maxConnections, catalog: catalog,
            mediaSeed: 0x5EED, mediaSize: max(options.concurrentMB * 1_000_000, 2_000_000),
            mediaSizes: [Self.bigStreamID: options.bigStreamMB * 1_000_000])
        let provider = try await FixtureProvider.start(accounts: [account])

        let dbPath = work.appendingPathComponent("streams.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        let store = try Store(path: dbPath)
        try await store.addAccount(Account(name: "stream", baseURL: provider.baseURL, username: Self.providerUser,
                                           password: Self.providerPass, maxConnections: maxConnections))
        var userIDs: [String: Int64] = [:]
        for (name, max) in [("tp", 2), ("ttfb", 2), ("many", maxConnections)] {
            userIDs[name] = try await store.addUser(User(username: name, password: "p", maxConnections: max)).id!
        }
        let executable = try Bench.serverExecutable()
        let common = ["--db", dbPath, "--log-level", "warning"]
        try await Bench.runChild(executable, ["sync", "--no-episodes", "--rate", "0"] + common)
        let publicIDs = try await store.moviePublicIDsByStreamID()
        guard publicIDs.count == concurrent + 2 else {
            throw UserFacingError("the streaming catalog synced \(publicIDs.count) movies, expected \(concurrent + 2)")
        }

        let (server, port) = try await Bench.startServer(executable, ["--admin-token", Self.adminToken] + common)

        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(20)), decompression: .disabled)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrent + 64)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let env = Environment(provider: provider, server: server, port: port, client: client, publicIDs: publicIDs, userIDs: userIDs)

        try await Self.running(server, client, provider) {
            try await Self.waitForHealth(client: client, port: port)
            try await throughput(env)
            try await pinnedThroughput(env, dbPath: dbPath)
            try await timeToFirstByte(env)
            try await concurrentStreams(env)
        }
        slotDecisions()
    }

    // MARK: 1. throughput of one whole title

    func throughput(_ env: Environment) async throws {
        let size = options.bigStreamMB * 1_000_000
        let direct = env.direct(Self.bigStreamID)
        let proxied = env.proxied(Self.bigStreamID, user: "tp")
        // Warm both paths (connections, the serve child's first request) with a short ranged read.
        _ = try await Self.fetch(env.client, direct, range: "bytes=0-65535")
        _ = try await Self.fetch(env.client, proxied, range: "bytes=0-65535")
        var bestDirect = 0.0
        var bestProxied = 0.0
        var serveCPU = CPUTime()
        var benchCPUDirect = 0.0
        var benchCPUProxied = 0.0
        // Busy and total CPU ticks of the whole machine during the direct and the proxied runs.
        var machineDirect = MachineTicks()
        var machineProxied = MachineTicks()
        let runs = max(1, options.throughputRuns)
        for _ in 0..<runs {
            for (url, isDirect) in [(direct, true), (proxied, false)] {
                let serveBefore = Self.cpuTime(pid: env.serverPID)
                let benchBefore = Self.cpuTime(pid: getpid())
                let machineBefore = Self.machineTicks()
                let fetched = try await Self.fetch(env.client, url, range: nil, timeout: .seconds(300), fresh: true)
                guard fetched.status == 200, fetched.bytes == size else {
                    throw UserFacingError("whole-title stream \(isDirect ? "direct" : "via xcserver") answered \(fetched.status) with \(fetched.bytes) of \(size) bytes")
                }
                let benchUsed = (Self.cpuTime(pid: getpid()) - benchBefore).total
                let machineUsed = Self.machineTicks() - machineBefore
                let rate = Double(size) / 1e6 / fetched.total.inSeconds
                if isDirect {
                    bestDirect = max(bestDirect, rate)
                    benchCPUDirect += benchUsed
                    machineDirect = machineDirect + machineUsed
                } else {
                    bestProxied = max(bestProxied, rate)
                    benchCPUProxied += benchUsed
                    machineProxied = machineProxied + machineUsed
                    serveCPU = serveCPU + (Self.cpuTime(pid: env.serverPID) - serveBefore)
                }
            }
        }
        let ratio = bestProxied / bestDirect
        let gigabytes = Double(size * runs) / 1e9
        print(String(format: "1. throughput, one %.0f MB stream read whole (fixture and client in bench process, proxy in serve child): direct from fixture %.0f MB/s, via xcserver %.0f MB/s, ratio %.2f (target ≥ 0.80) [best of %d runs each] %@",
                     Double(size) / 1e6, bestDirect, bestProxied, ratio, runs, ratio >= 0.8 ? "OK" : "BELOW TARGET"))
        print(String(format: "   CPU per GB: serve child %.2f s (%.0f %% of it in the kernel); bench process %.2f s direct, %.2f s via xcserver (%d cores: the three share them)",
                     serveCPU.total / gigabytes, 100 * serveCPU.system / max(serveCPU.total, 1e-9), benchCPUDirect / gigabytes, benchCPUProxied / gigabytes,
                     ProcessInfo.processInfo.activeProcessorCount))
        // What the proxied path could reach if every core were busy with it all the time: each GB costs the
        // serve child's and the bench process's CPU seconds together.
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let ceiling = cores / ((serveCPU.total + benchCPUProxied) / gigabytes) * 1000
        print(String(format: "   cores busy during the runs (whole machine, /proc/stat): direct %.0f %%, via xcserver %.0f %%; via xcserver with every core busy (at the mean CPU per GB above): at most %.0f MB/s, ratio %.2f",
                     100 * machineDirect.busyFraction, 100 * machineProxied.busyFraction, ceiling, ceiling / bestDirect))
    }

    // MARK: 2. time to first byte

    func timeToFirstByte(_ env: Environment) async throws {
        let direct = env.direct(Self.ttfbStreamID)
        let proxied = env.proxied(Self.ttfbStreamID, user: "ttfb")
        let range = "bytes=0-1023"
        for _ in 0..<5 {
            _ = try await Self.fetch(env.client, direct, range: range)
            _ = try await Self.fetch(env.client, proxied, range: range)
        }
        var directMS: [Double] = []
        var proxiedMS: [Double] = []
        for _ in 0..<max(1, options.ttfbRequests) {
            // Interleaved, so drift (other load on the machine) hits both sides alike.
            for (url, isDirect) in [(direct, true), (proxied, false)] {
                let fetched = try await Self.fetch(env.client, url, range: range)
                guard fetched.status == 206, fetched.bytes == 1024 else {
                    throw UserFacingError("ranged request \(isDirect ? "direct" : "via xcserver") answered \(fetched.status) with \(fetched.bytes) bytes")
                }
                if isDirect { directMS.append(fetched.firstByte.inSeconds * 1000) } else { proxiedMS.append(fetched.firstByte.inSeconds * 1000) }
            }
        }
        let (dMedian, dP90) = Self.medianP90(directMS)
        let (pMedian, pP90) = Self.medianP90(proxiedMS)
        let slots = await Self.slotCount(env, user: "ttfb")
        print(String(format: "2. time to first byte, %d sequential `Range: bytes=0-1023` requests each way, interleaved: direct median %.2f ms (p90 %.2f), via xcserver median %.2f ms (p90 %.2f); added by xcserver median %.2f ms, p90 %.2f ms (target ≤ 3 ms median) %@",
                     directMS.count, dMedian, dP90, pMedian, pP90, pMedian - dMedian, pP90 - dP90, pMedian - dMedian <= 3 ? "OK" : "ABOVE TARGET"))
        print("   (all via xcserver as one viewer: user 'ttfb' from 127.0.0.1, same title, so the first request created the slot and the rest reused it; slots that viewer holds now: \(slots.map(String.init) ?? "unknown"))")
    }

    // MARK: 3. many concurrent streams

    func concurrentStreams(_ env: Environment) async throws {
        let count = max(1, options.concurrentStreams)
        let length = options.concurrentMB * 1_000_000
        let pid = env.serverPID
        let idle = Bench.status(pid: pid, field: "VmRSS")
        // Reset the serve child's peak RSS (VmHWM) so the figure is this run's, not the 1 GB stream's.
        let reset = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs").map { handle -> Bool in
            defer { try? handle.close() }
            return (try? handle.write(contentsOf: Data("5".utf8))) != nil
        } ?? false
        let samplingStarted = ContinuousClock.now
        let sampling = Task<(kb: Int, at: Double), Never> {
            var peak = (kb: 0, at: 0.0)
            while !Task.isCancelled {
                let now = Bench.status(pid: pid, field: "VmRSS")
                if now > peak.kb { peak = (now, samplingStarted.duration(to: .now).inSeconds) }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return peak
        }
        let client = env.client
        let urls = (0..<count).map { env.proxied(Self.firstConcurrentStreamID + $0, user: "many") }
        let range = "bytes=0-\(length - 1)"
        let gate = options.openConcurrency > 0 ? Gate(options.openConcurrency) : nil
        let open = Tally()
        // Every stream waits after its response head until all have one, so all bodies are open at once.
        let barrier = Barrier(count)
        let started = ContinuousClock.now
        let (bytes, errors) = await withTaskGroup(of: (Int, String?).self) { group in
            for url in urls {
                group.addTask {
                    do {
                        let fetched = try await Self.fetch(client, url, range: range, timeout: .seconds(30), gate: gate, open: open, barrier: barrier)
                        if fetched.status != 206 || fetched.bytes != length {
                            return (fetched.bytes, "HTTP \(fetched.status), \(fetched.bytes) of \(length) bytes")
                        }
                        return (fetched.bytes, nil)
                    } catch {
                        return (0, String(describing: error))
                    }
                }
            }
            var bytes = 0
            var errors: [String] = []
            for await (n, error) in group {
                bytes += n
                if let error { errors.append(error) }
            }
            return (bytes, errors)
        }
        let seconds = started.duration(to: .now).inSeconds
        let headsSeconds = await barrier.completedAt.map { started.duration(to: $0).inSeconds } ?? seconds
        sampling.cancel()
        let (sampledPeak, peakAt) = await sampling.value
        let hwm = Bench.status(pid: pid, field: "VmHWM")
        let slots = await Self.slotCount(env, user: "many")
        let opening = options.openConcurrency > 0 ? "opened at most \(options.openConcurrency) at a time, then all read concurrently" : "all opened at once"
        print(String(format: "3. %d concurrent streams via xcserver, %.0f MB each (`Range: bytes=0-%d`, %@; %d titles for user 'many' so each has its own slot; account max_connections %d in xcserver and fixture): wall %.2f s (all heads after %.2f s; each then waits for the others before reading), aggregate %.0f MB/s, %d bodies open at once at the peak, errors %d (target 0) %@",
                     count, Double(length) / 1e6, length - 1, opening, count, count + 16, seconds, headsSeconds, Double(bytes) / 1e6 / seconds, open.peak, errors.count, errors.isEmpty ? "OK" : "FAILED"))
        print(String(format: "   serve child (pid %d) peak RSS %@ (VmHWM %@; sampled VmRSS peak %@ at %.2f s; idle before %@%@; target < 150 MB) %@; slots held by user 'many' after: %@",
                     pid, Self.megabytes(hwm), reset ? "reset just before this run" : "since start: clear_refs failed", Self.megabytes(sampledPeak), peakAt,
                     Self.megabytes(idle), errors.isEmpty ? String(format: ", so %.2f MB per open stream", Double(hwm - idle) / 1024 / Double(max(1, open.peak))) : "",
                     hwm < 150 * 1024 ? "OK" : "ABOVE TARGET",
                     slots.map(String.init) ?? "unknown"))
        for error in errors.prefix(3) { print("   error: \(error)") }
        if !errors.isEmpty {
            let health = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(env.port)/health"), timeout: .seconds(3))
            print("   serve child after the errors: \(health?.status == .ok ? "answers /health" : "does NOT answer /health within 3 s (wedged)")")
        }
    }

    /// A counter; `enter`/`leave` also track the highest value reached.
    final class Tally: Sendable {
        private let count = Mutex((value: 0, peak: 0))
        func add(_ n: Int) { count.withLock { $0.value += n } }
        func enter() { count.withLock { $0.value += 1; $0.peak = max($0.peak, $0.value) } }
        func leave() { count.withLock { $0.value -= 1 } }
        var value: Int { count.withLock { $0.value } }
        var peak: Int { count.withLock { $0.peak } }
    }

    // MARK: helpers

    /// At most `permits` holders at once; the others wait in order.
    actor Gate {
        private var permits: Int
        private var waiters: [CheckedContinuation<Void, Never>] = []
        init(_ permits: Int) { self.permits = permits }
        func acquire() async {
            if permits > 0 { permits -= 1; return }
            await withCheckedContinuation { waiters.append($0) }
        }
        func release() {
            if waiters.isEmpty { permits += 1 } else { waiters.removeFirst().resume() }
        }
    }

    /// Holds every arriving task until `count` have arrived or withdrawn.
    actor Barrier {
        private var remaining: Int
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private(set) var completedAt: ContinuousClock.Instant?
        init(_ count: Int) { remaining = count }
        func arrive() async {
            remaining -= 1
            if remaining <= 0 { openUp() } else { await withCheckedContinuation { waiters.append($0) } }
        }
        func withdraw() {
            remaining -= 1
            if remaining <= 0 { openUp() }
        }
        private func openUp() {
            if completedAt == nil { completedAt = .now }
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
    }

    struct Fetched {
        var status: UInt
        var bytes: Int
        /// Request sent to first body byte received.
        var firstByte: Duration
        var total: Duration
    }

    /// One GET, counting body bytes without keeping them.
    /// `fresh`: close the connection after this request, so the next one lands on a newly chosen event
    /// loop. A run of whole-title reads on one kept-alive connection would measure one thread placement
    /// over and over, and direct reads differ by 1.6x between placements.
    static func fetch(_ client: HTTPClient, _ url: String, range: String?, timeout: TimeAmount = .seconds(30), gate: Gate? = nil,
                      open: Tally? = nil, barrier: Barrier? = nil, fresh: Bool = false) async throws -> Fetched {
        var request = HTTPClientRequest(url: url)
        if let range { request.headers.add(name: "Range", value: range) }
        if fresh { request.headers.add(name: "Connection", value: "close") }
        await gate?.acquire()
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            await gate?.release()
            await barrier?.withdraw()
            throw error
        }
        await gate?.release()
        open?.enter()
        defer { open?.leave() }
        await barrier?.arrive()
        var bytes = 0
        var first: ContinuousClock.Instant?
        for try await buffer in response.body {
            if first == nil { first = .now }
            bytes += buffer.readableBytes
        }
        let ended = ContinuousClock.now
        return Fetched(status: response.status.code, bytes: bytes, firstByte: started.duration(to: first ?? ended),
                       total: started.duration(to: ended))
    }

    /// Live slots of one xcserver user, from the serve child's `/api/connections`.
    static func slotCount(_ env: Environment, user: String) async -> Int? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(env.port)/api/connections")
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        guard let response = try? await env.client.execute(request, timeout: .seconds(3)) else { return nil }
        guard let body = try? await response.body.collect(upTo: 64 << 20), response.status == .ok, let userID = env.userIDs[user],
              let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              let slots = json["slots"] as? [[String: Any]]
        else { return nil }
        return slots.filter { (($0["viewer"] as? [String: Any])?["user_id"] as? NSNumber)?.int64Value == userID }.count
    }

    static func medianP90(_ values: [Double]) -> (Double, Double) {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return (0, 0) }
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.9))])
    }

    static func megabytes(_ kilobytes: Int) -> String { String(format: "%.1f MB", Double(kilobytes) / 1024) }

    /// SIGTERM, then SIGKILL if the child has not exited 5 s later (a wedged server must not hang the bench).
    /// Runs `body`, then stops the serve child, the client and the provider whether it threw or not, and
    /// rethrows what it threw.
    static func running(_ server: Process, _ client: HTTPClient, _ provider: FixtureProvider, _ body: () async throws -> Void) async throws {
        var failure: (any Error)?
        do {
            try await body()
        } catch {
            failure = error
        }
        await stop(server)
        try? await client.shutdown()
        await provider.stop()
        if let failure { throw failure }
    }

    static func stop(_ server: Process) async {
        server.terminate()
        for _ in 0..<100 where server.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if server.isRunning {
            print("   (serve child did not exit within 5 s of SIGTERM; killed)")
            kill(server.processIdentifier, SIGKILL)
        }
        server.waitUntilExit()
    }

    static func waitForHealth(client: HTTPClient, port: Int) async throws {
        for _ in 0..<200 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1)),
               response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw UserFacingError("the server did not start on port \(port)")
    }
}
