import AsyncHTTPClient
import FixtureProvider
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The film throughput measured fairly: the roles pinned to cores so that none steals the other's CPU.
///
/// The bench process (fixture provider and client) runs on core 0; the proxy under test, xcserver or
/// nginx (Debian's package, `proxy_pass` with buffering on), on core 1, one at a time. Each arm reads the
/// same whole title; best of the runs, CPU per GB of the proxy process from `/proc`. Without `taskset`,
/// nginx or a second core, the part says why and is skipped.
extension StreamBench {
    /// The nginx configuration the figure is taken with (printed with it).
    static func nginxConfiguration(port: Int, upstreamPort: Int, prefix: String) -> String {
        """
        worker_processes 1;
        master_process off;
        daemon off;
        error_log \(prefix)/error.log warn;
        pid \(prefix)/nginx.pid;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path \(prefix)/client; proxy_temp_path \(prefix)/proxy;
            fastcgi_temp_path \(prefix)/fastcgi; uwsgi_temp_path \(prefix)/uwsgi; scgi_temp_path \(prefix)/scgi;
            upstream fixture { server 127.0.0.1:\(upstreamPort); keepalive 8; }
            server {
                listen 127.0.0.1:\(port);
                location / {
                    proxy_pass http://fixture;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_buffering on;
                    proxy_buffer_size 256k;
                    proxy_buffers 16 256k;
                    proxy_max_temp_file_size 0;
                }
            }
        }
        """
    }

    func pinnedThroughput(_ env: Environment, dbPath: String) async throws {
        guard ProcessInfo.processInfo.activeProcessorCount >= 2, let taskset = Self.which("taskset") else {
            print("1b. pinned throughput: skipped (needs taskset and at least 2 cores)")
            return
        }
        let size = options.bigStreamMB * 1_000_000
        let direct = env.direct(Self.bigStreamID)
        guard let directURL = URL(string: direct), let upstreamPort = directURL.port else { return }
        let pathAndQuery = directURL.path + (directURL.query.map { "?" + $0 } ?? "")

        // xcserver pinned: a second serve child on the same database, on core 1.
        let port = try await FixtureProvider.freePort()
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: taskset)
        serve.arguments = ["-c", "1", try Bench.serverExecutable(), "serve", "--host", "127.0.0.1", "--port", String(port),
                           "--sync-interval", "0", "--admin-token", Self.adminToken, "--db", dbPath, "--log-level", "warning"]
        try serve.run()
        defer { serve.terminate() }
        try await Self.waitForHealth(client: env.client, port: port)
        let viaXcserver = "http://127.0.0.1:\(port)/movie/tp/p/\(env.publicIDs[Self.bigStreamID]!).mkv"

        // nginx pinned, when installed.
        var nginx: Process?
        var viaNginx: String?
        let prefix = work.appendingPathComponent("nginx").path
        if let binary = Self.which("nginx") {
            try? FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
            let nginxPort = try await FixtureProvider.freePort()
            let conf = prefix + "/nginx.conf"
            try Self.nginxConfiguration(port: nginxPort, upstreamPort: upstreamPort, prefix: prefix)
                .write(toFile: conf, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: taskset)
            process.arguments = ["-c", "1", binary, "-c", conf, "-p", prefix]
            try process.run()
            nginx = process
            viaNginx = "http://127.0.0.1:\(nginxPort)\(pathAndQuery)"
            try await Task.sleep(for: .milliseconds(500))
        } else {
            print("1b. nginx is not installed (apt-get install nginx): the nginx arm is skipped")
        }
        defer { nginx?.terminate() }

        // The bench process (every thread) on core 0 for the runs, then back on every core.
        let all = "0-\(ProcessInfo.processInfo.activeProcessorCount - 1)"
        _ = try? await Bench.runChild(taskset, ["-a", "-c", "-p", "0", String(getpid())])
        var arms: [(name: String, url: String, pid: Int32?)] = [("direct", direct, nil), ("xcserver", viaXcserver, serve.processIdentifier)]
        if let viaNginx, let nginx { arms.append(("nginx", viaNginx, nginx.processIdentifier)) }
        var best: [String: Double] = [:]
        var cpu: [String: Double] = [:]
        let runs = max(1, options.throughputRuns)
        do {
            for arm in arms { _ = try await Self.fetch(env.client, arm.url, range: "bytes=0-65535") }
            for _ in 0..<runs {
                for arm in arms {
                    let before = arm.pid.map { Self.cpuTime(pid: $0).total } ?? 0
                    let fetched = try await Self.fetch(env.client, arm.url, range: nil, timeout: .seconds(300), fresh: true)
                    guard fetched.status == 200, fetched.bytes == size else {
                        throw UserFacingError("pinned \(arm.name) stream answered \(fetched.status) with \(fetched.bytes) of \(size) bytes")
                    }
                    best[arm.name] = max(best[arm.name] ?? 0, Double(size) / 1e6 / fetched.total.inSeconds)
                    if let pid = arm.pid { cpu[arm.name, default: 0] += Self.cpuTime(pid: pid).total - before }
                }
            }
        } catch {
            _ = try? await Bench.runChild(taskset, ["-a", "-c", "-p", all, String(getpid())])
            throw error
        }
        _ = try? await Bench.runChild(taskset, ["-a", "-c", "-p", all, String(getpid())])
        let gigabytes = Double(size * runs) / 1e9
        let directRate = best["direct"] ?? 0
        let xcRate = best["xcserver"] ?? 0
        var line = String(format: "1b. pinned throughput (bench process on core 0, proxy on core 1), one %.0f MB stream, best of %d: direct %.0f MB/s, via xcserver %.0f MB/s (%.2f of direct, target ≥ 0.95) at %.2f CPU-s per GB",
                          Double(size) / 1e6, runs, directRate, xcRate, xcRate / max(directRate, 1e-9), (cpu["xcserver"] ?? 0) / gigabytes)
        if let nginxRate = best["nginx"] {
            let nginxCPU = (cpu["nginx"] ?? 0) / gigabytes
            line += String(format: "; via nginx %.0f MB/s at %.2f CPU-s per GB; xcserver/nginx throughput %.2f (target ≥ 1), CPU %.2f (target ≤ 1)",
                           nginxRate, nginxCPU, xcRate / max(nginxRate, 1e-9), ((cpu["xcserver"] ?? 0) / gigabytes) / max(nginxCPU, 1e-9))
        }
        print(line)
        if nginx != nil {
            print("   nginx configuration used (proxy part): proxy_buffering on; proxy_buffer_size 256k; proxy_buffers 16 256k; proxy_max_temp_file_size 0; keepalive 8 to the fixture; worker_processes 1")
        }
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
