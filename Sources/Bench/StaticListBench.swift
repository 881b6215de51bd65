import AsyncHTTPClient
import Foundation
import FixtureProvider
import NIOCore

/// The big list answers (`get_vod_streams`, `get_series`) beside the very same bytes served as static
/// files by nginx (Debian's package, installed when missing and possible): how far xcserver's answer
/// is from the physical limit of sending those bytes on this machine, plain and gzip.
///
/// Each answer is asked once cold (rendered and streamed page by page, then kept) and then for a few
/// seconds by one keep-alive client, whose median is the figure; nginx gets the same client on the same
/// bytes (`gzip_static` serving the `.gz` xcserver sent).
struct StaticListBench {
    let port: Int
    let serverPID: Int32
    let work: URL
    /// `taskset -c` for nginx, as for `serve`: the same cores as xcserver had.
    let serverCPUs: String?
    let seconds: Double

    struct Answer {
        var name: String
        var query: String
        var file: String
    }

    static let answers = [
        Answer(name: "get_vod_streams", query: "&action=get_vod_streams", file: "vod_streams.json"),
        Answer(name: "get_series", query: "&action=get_series", file: "series.json"),
    ]

    func run() async throws {
        let root = work.appendingPathComponent("static")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let rssBefore = Bench.status(pid: serverPID, field: "VmRSS")
        print("big lists, one keep-alive client, median over \(Int(seconds)) s; the same bytes as static files by nginx:")
        var ours: [String: Double] = [:]
        for answer in Self.answers {
            for gzip in [false, true] {
                let path = LoadBench.api + answer.query
                let headers = gzip ? ["Accept-Encoding: gzip"] : []
                let cold = ContinuousClock.now
                let body = try await Self.fetch("http://127.0.0.1:\(port)\(path)", gzip: gzip)
                let coldMS = cold.duration(to: .now).inSeconds * 1000
                let file = root.appendingPathComponent(answer.file + (gzip ? ".gz" : ""))
                try Data(body).write(to: file)
                let warm = await LoadClient(port: port, clients: 1)
                    .run(duration: .milliseconds(Int64(seconds * 1000))) { _, _ in (path, headers) }
                let label = "\(answer.name)\(gzip ? " gzip" : "")"
                ours[label] = warm.percentile(0.5)
                print(String(format: "   xcserver %@, %.1f MB: first (rendered, streamed) %.0f ms, then kept: median %.1f ms, p99 %.1f ms, %d errors",
                             label, Double(body.count) / 1e6, coldMS, warm.percentile(0.5), warm.percentile(0.99), warm.errors))
            }
        }
        let rssAfter = Bench.status(pid: serverPID, field: "VmRSS")
        print("   serve RSS \(StreamBench.megabytes(rssBefore)) before these lists, \(StreamBench.megabytes(rssAfter)) with them kept (growth \(StreamBench.megabytes(rssAfter - rssBefore)), target < 64 MB for this view)")
        guard let nginx = try await Nginx.start(root: root, work: work, cpus: serverCPUs) else { return }
        defer { nginx.stop() }
        for answer in Self.answers {
            for gzip in [false, true] {
                let label = "\(answer.name)\(gzip ? " gzip" : "")"
                let result = await LoadClient(port: nginx.port, clients: 1).run(duration: .milliseconds(Int64(seconds * 1000))) { _, _ in
                    ("/" + answer.file, gzip ? ["Accept-Encoding: gzip"] : [])
                }
                let ratio = (ours[label] ?? 0) / max(result.percentile(0.5), 0.001)
                print(String(format: "   nginx %@: median %.1f ms, p99 %.1f ms, %d errors; xcserver/nginx %.1f× (target ≤ 3×) %@",
                             label, result.percentile(0.5), result.percentile(0.99), result.errors, ratio, ratio <= 3 ? "OK" : "MISSED"))
            }
        }
    }

    /// The answer's bytes as sent (gzip not inflated).
    static func fetch(_ url: String, gzip: Bool) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        if gzip { request.headers.add(name: "Accept-Encoding", value: "gzip") }
        let response = try await Bench.rawClient.execute(request, timeout: .seconds(120))
        guard response.status == .ok else { throw UserFacingError("\(url) answered \(response.status.code)") }
        return Array(try await response.body.collect(upTo: 512 << 20).readableBytesView)
    }
}

/// nginx serving a directory on a free loopback port, in the foreground as a child of the bench.
struct Nginx {
    let process: Process
    let port: Int

    static let executable = "/usr/sbin/nginx"

    /// nil, with a line saying why, when nginx is absent and cannot be installed, or does not start.
    static func start(root: URL, work: URL, cpus: String?) async throws -> Nginx? {
        if !FileManager.default.isExecutableFile(atPath: executable) {
            print("   nginx is not installed; trying `apt-get install -y nginx`…")
            let install = Process()
            install.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            install.arguments = ["apt-get", "install", "-y", "-q", "nginx"]
            install.environment = ProcessInfo.processInfo.environment.merging(["DEBIAN_FRONTEND": "noninteractive"]) { $1 }
            install.standardOutput = FileHandle.nullDevice
            install.standardError = FileHandle.nullDevice
            try? install.run()
            install.waitUntilExit()
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                print("   skipped the nginx comparison: no \(executable) (install Debian's `nginx` package to get it)")
                return nil
            }
        }
        let port = try await FixtureProvider.freePort()
        let prefix = work.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(at: prefix, withIntermediateDirectories: true)
        let temp = prefix.path
        let config = """
            daemon off; master_process off; worker_processes 1;
            error_log \(temp)/error.log; pid \(temp)/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
                gzip_static on;
                types { application/json json; }
                client_body_temp_path \(temp)/body; proxy_temp_path \(temp)/proxy; fastcgi_temp_path \(temp)/fastcgi;
                uwsgi_temp_path \(temp)/uwsgi; scgi_temp_path \(temp)/scgi;
                server { listen 127.0.0.1:\(port); root \(root.path); }
            }
            """
        let configPath = prefix.appendingPathComponent("nginx.conf")
        try config.write(to: configPath, atomically: true, encoding: .utf8)
        let process = Process()
        let command = [executable, "-p", temp, "-c", configPath.path]
        if let cpus {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            process.arguments = ["-c", cpus] + command
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(command.dropFirst())
        }
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return Nginx(process: process, port: port)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { process.terminate() }
        let log = (try? String(contentsOf: prefix.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        print("   skipped the nginx comparison: nginx did not start (\(log.split(separator: "\n").last ?? "no log"))")
        return nil
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
