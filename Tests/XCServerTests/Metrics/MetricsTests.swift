import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import Testing
@testable import XCServerKit

/// `GET /metrics` over real HTTP: the named series, with values that move as requests, streams and
/// sync jobs happen.
@Suite struct MetricsTests {
    /// `name{labels}` → value, from the Prometheus text format.
    static func parse(_ text: String) -> [String: Double] {
        var series: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            series[String(line[..<space])] = value
        }
        return series
    }

    func scrape(_ env: TestEnvironment) async throws -> (text: String, series: [String: Double]) {
        let reply = try await env.request("/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
        return (reply.text, Self.parse(reply.text))
    }

    static func requests(_ route: String, _ status: Int) -> String {
        #"xcserver_http_requests_total{route="\#(route)",status="\#(status)"}"#
    }

    func moviePath(_ id: Int) -> String {
        "/movie/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/\(id).mkv"
    }

    @Test func requestsStreamsAndSlotsAreExposed() async throws {
        try await TestEnvironment.with(config: ServerConfig(grace: .milliseconds(100), adminToken: jobTestToken)) { env in
            let before = try await scrape(env).series

            for _ in 0..<3 { _ = try await env.api("action=get_vod_streams") }
            _ = try await env.api("action=get_series_info&series_id=501")
            _ = try await env.api("action=made_up_action")
            _ = try await env.api()
            #expect(try await env.request("/get.php?username=x&password=y").status == 401)
            #expect(try await env.admin("/api/connections").status == 200)
            #expect(try await env.admin("/api/connections", token: nil).status == 401)
            #expect(try await env.request("/some/secret-path/abc123").status == 404)
            let ranged = try await env.request(moviePath(10007), headers: [("Range", "bytes=0-99999")])
            #expect(ranged.status == 206)
            #expect(ranged.body.count == 100_000)

            let (text, after) = try await scrape(env)
            func delta(_ key: String) -> Double { (after[key] ?? 0) - (before[key] ?? 0) }
            #expect(delta(Self.requests("player_api:get_vod_streams", 200)) == 3, "\(text)")
            #expect(delta(Self.requests("player_api:get_series_info", 200)) == 1)
            #expect(delta(Self.requests("player_api:other", 200)) == 1, "unknown actions share one label")
            #expect(delta(Self.requests("player_api", 200)) == 1)
            #expect(delta(Self.requests("get.php", 401)) == 1)
            #expect(delta(Self.requests("api", 200)) == 1)
            #expect(delta(Self.requests("api", 401)) == 1)
            #expect(delta(Self.requests("other", 404)) == 1)
            #expect(delta(Self.requests("movie", 206)) == 1)
            #expect(after[Self.requests("metrics", 200)] ?? 0 >= 1, "the earlier scrape is counted")
            #expect(!text.contains("secret-path") && !text.contains("abc123") && !text.contains(TestEnvironment.userName),
                    "never raw paths or credentials in labels")
            #expect(delta(#"xcserver_upstream_bytes_total{account="alpha"}"#) == 100_000)
            #expect(delta(#"xcserver_upstream_bytes_total{account="beta"}"#) == 0)
            #expect(after[#"xcserver_account_max_connections{account="alpha"}"#] == 1)
            #expect(after[#"xcserver_account_max_connections{account="beta"}"#] == 2)

            // A viewing in progress (alpha-only Pulp Fiction) holds a slot on its account; the gauge is read at scrape time.
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "alpha")
            let open = try await HTTPClient.shared.execute(HTTPClientRequest(url: env.baseURL + moviePath(10007)), timeout: .seconds(30))
            #expect(open.status == .ok)
            let watching = try await scrape(env).series
            #expect(watching[#"xcserver_active_slots{account="alpha"}"#] == 1)
            #expect(watching[#"xcserver_active_slots{account="beta"}"#] == 0)
            env.provider.setFaults(.none, for: "alpha")
            let body = try await open.body.collect(upTo: 4 << 20)
            #expect(body.readableBytes == 2_000_000)
            var ended = watching
            for _ in 0..<100 {
                try await Task.sleep(for: .milliseconds(50))
                ended = try await scrape(env).series
                if ended[#"xcserver_active_slots{account="alpha"}"#] == 0 { break }
            }
            #expect(ended[#"xcserver_active_slots{account="alpha"}"#] == 0, "the slot ended after its grace")
            #expect((ended[#"xcserver_upstream_bytes_total{account="alpha"}"#] ?? 0) - (after[#"xcserver_upstream_bytes_total{account="alpha"}"#] ?? 0) == 2_000_000)
        }
    }

    @Test func syncJobsAreCountedAndTimed() async throws {
        try await TestEnvironment.withAdmin { env in
            let initial = try await scrape(env).series
            #expect(initial[#"xcserver_sync_jobs_total{outcome="done"}"#] == nil)

            let first = try await env.startSync()
            #expect(try await env.waitForJob(first.jobID).jobPhase == "done")
            env.provider.setFaults(FixtureFaults(firstByteDelay: .seconds(5)), for: "beta")
            let second = try await env.startSync(#"{"account": "beta"}"#)
            _ = try await env.admin("/api/sync/jobs/\(second.jobID)/cancel", method: .POST)
            #expect(try await env.waitForJob(second.jobID).jobPhase == "cancelled")

            let (text, series) = try await scrape(env)
            #expect(series[#"xcserver_sync_jobs_total{outcome="done"}"#] == 1, "\(text)")
            #expect(series[#"xcserver_sync_jobs_total{outcome="cancelled"}"#] == 1)
            #expect(series[#"xcserver_sync_job_duration_seconds_count{outcome="done"}"#] == 1)
            #expect(series[#"xcserver_sync_job_duration_seconds_sum{outcome="done"}"#] ?? 0 > 0)
            #expect(series[#"xcserver_sync_job_duration_seconds_bucket{outcome="done",le="+Inf"}"#] == 1)
            #expect(text.contains("# TYPE xcserver_sync_job_duration_seconds histogram"))
            #expect(text.contains("# TYPE xcserver_http_requests_total counter"))
            #expect(text.contains("# TYPE xcserver_active_slots gauge"))
        }
    }

    @Test func metricsNeedNoTokenAndEachServerHasItsOwnRegistry() async throws {
        try await TestEnvironment.withAdmin { first in
            _ = try await first.api("action=get_vod_streams")
            try await TestEnvironment.withAdmin { second in
                let series = try await scrape(second).series
                #expect(series[Self.requests("player_api:get_vod_streams", 200)] == nil, "another server's requests are not counted here")
            }
            let reply = try await first.request("/metrics", headers: [("Authorization", "Bearer wrong")])
            #expect(reply.status == 200, "not behind the admin token")
        }
    }

    @Test(arguments: [
        ("/player_api.php", "get_vod_streams", "player_api:get_vod_streams"),
        ("/player_api.php", nil, "player_api"),
        ("/player_api.php", "drop_tables", "player_api:other"),
        ("/movie/u/p/1.mkv", nil, "movie"),
        ("/series/u/p/1.mkv", nil, "series"),
        ("/get.php", nil, "get.php"),
        ("/xmltv.php", nil, "xmltv.php"),
        ("/api/sync/jobs/3", nil, "api"),
        ("/metrics", nil, "metrics"),
        ("/health", nil, "health"),
        ("/u/p/12345", nil, "live"),
        ("/", nil, "other"),
    ] as [(String, String?, String)])
    func routeLabelsAreBounded(path: String, action: String?, label: String) {
        #expect(ServerMetrics.route(path: path, action: action) == label)
    }
}
