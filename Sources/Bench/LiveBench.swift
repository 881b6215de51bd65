import ArgumentParser
import AsyncHTTPClient
import FixtureProvider
import Foundation
import NIOCore
import XCModels

struct LiveBenchOptions: ParsableArguments {
    @Flag(help: "Run only the live TV benchmark (channels, guide, get_live_streams, xmltv.php, get_short_epg).")
    var liveOnly = false
    @Option(help: "Channels per account (three accounts).") var channels = 10_000
    @Option(help: "Guide programmes in all (spread over the first account's channels).") var programmes = 1_000_000
}

/// Live TV at household-panel scale: three accounts of `channels` channels each (distinct guide ids,
/// so none merge and the login sees 3 × `channels`), the first with a guide of about `programmes`
/// programmes (~300 B each, ~300 MB). Measures the list sync, the guide import (its time, the sync
/// child's peak RSS), `get_live_streams` of every channel (first and repeated, plain and gzip, first
/// after an admin change), the
/// whole `xmltv.php` (server RSS growth) and `get_short_epg` latency (p50/p99).
struct LiveBench {
    let options: LiveBenchOptions
    let work: URL

    /// Account `index`'s channels: stream ids from `index` × 1,000,000 + 1, guide ids `chN.uk` on the
    /// first account and `chN.INDEX.uk` on the others (a channel merges by its guide id).
    static func liveList(channels: Int, index: Int) -> [UInt8] {
        var text = "["
        let offset = index * 1_000_000
        let suffix = index == 0 ? "uk" : "\(index).uk"
        for n in 0..<channels {
            if n > 0 { text += "," }
            let archive = n % 3 == 0 ? 1 : 0
            text += #"{"num":\#(n + 1),"name":"UK: Channel \#(n) HD","stream_type":"live","stream_id":\#(offset + n + 1),"stream_icon":"","epg_channel_id":"ch\#(n).\#(suffix)","added":"1700000000","is_adult":"0","category_id":"\#(n % 40 + 1)","custom_sid":"","tv_archive":\#(archive),"direct_source":"","tv_archive_duration":\#(archive * 3)}"#
        }
        return Array((text + "]").utf8)
    }

    static func categories() -> [UInt8] {
        Array(("[" + (1...40).map { #"{"category_id":"\#($0)","category_name":"Live \#($0)","parent_id":0}"# }.joined(separator: ",") + "]").utf8)
    }

    func run() async throws {
        let dbPath = work.appendingPathComponent("live-bench.sqlite").path
        var accounts: [FixtureAccount] = []
        for index in 0..<3 {
            let catalog = try FixtureCatalog(lists: [
                "get_vod_streams": Array("[]".utf8), "get_live_categories": Self.categories(),
                "get_live_streams": Self.liveList(channels: options.channels, index: index),
            ])
            var account = FixtureAccount(username: "live\(index)", password: "p", maxConnections: 2, catalog: catalog)
            account.live.extraChannels = []
            if index == 0 {
                // 13 days of programmes per channel: step chosen for the total asked.
                let perChannel = max(1, options.programmes / options.channels)
                account.live.step = max(60, Int64(13 * 86400 / perChannel))
                account.live.descriptionPadding = 150
            } else {
                account.live.pastDays = 0
                account.live.futureDays = 0
            }
            accounts.append(account)
        }
        let provider = try await FixtureProvider.start(accounts: accounts)
        defer { Task { await provider.stop() } }
        let store = try Store(path: dbPath)
        for (index, account) in accounts.enumerated() {
            try await store.addAccount(Account(name: account.username, baseURL: provider.baseURL, username: account.username,
                                               password: "p", maxConnections: 2, priority: 10 - index))
        }
        try await store.addUser(User(username: "u", password: "p", maxConnections: 4))
        let executable = try Bench.serverExecutable()
        let common = ["--db", dbPath, "--log-level", "warning"]
        print("live: \(options.channels) channels x 3 accounts, guide of ~\(options.programmes) programmes on the first")
        let sync = try await Bench.runChild(executable, ["sync", "--no-episodes", "--rate", "0"] + common)
        print(String(format: "live sync (lists of 3 accounts and the guide): %.2f s, peak RSS %@", sync.seconds, StreamBench.megabytes(sync.peakRSSKB)))
        // The guide again, as `serve --epg-interval` or a sync imports it: in an xcserver process of its
        // own (the fixture provider here), replacing the guide the first sync stored.
        let log = work.appendingPathComponent("guide-sync.log")
        let guide = try await Bench.runChild(executable, ["sync", "--account", "live0", "--no-episodes", "--rate", "0", "--db", dbPath, "--log-level", "info"],
                                           errorLog: log)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").last(where: { $0.contains("guide holds") }),
              let match = line.firstMatch(of: /holds (\d+) programmes of (\d+) read in ([0-9.]+) s/) else {
            throw UserFacingError("the guide sync's log has no `guide holds … in … s` line (see \(log.path))")
        }
        print(String(format: "guide import (second sync of live0, its list unchanged), %@ programmes read, %@ kept: %@ s (the sync %.2f s), peak RSS %@",
                     String(match.2), String(match.1), String(match.3), guide.seconds, StreamBench.megabytes(guide.peakRSSKB)))

        let (server, port) = try await Bench.startServer(executable, ["--epg-interval", "0", "--admin-token", "bench"] + common)
        defer { Task { await StreamBench.stop(server) } }
        try await StreamBench.waitForHealth(client: .shared, port: port)
        let base = "http://127.0.0.1:\(port)"
        for gzip in [false, true] {
            // The first answer of each is rendered (the cache is empty after start), the next five kept.
            var times: [Double] = []
            var size = 0
            for _ in 0..<6 {
                let started = ContinuousClock.now
                size = try await Self.fetch(base + "/player_api.php?username=u&password=p&action=get_live_streams", gzip: gzip)
                times.append(started.duration(to: .now).inSeconds)
            }
            let first = times.removeFirst()
            times.sort()
            print(String(format: "get_live_streams%@, %d channels, %.1f MB on the wire: first %.0f ms, then median %.0f ms (max %.0f)",
                         gzip ? " gzip" : "", 3 * options.channels, Double(size) / 1e6, first * 1000, times[2] * 1000, times[4] * 1000))
        }
        try await Self.renderAfterChange(base: base)
        let idle = Bench.status(pid: server.processIdentifier, field: "VmRSS")
        let guideStarted = ContinuousClock.now
        let guideSize = try await Self.fetch(base + "/xmltv.php?username=u&password=p")
        let peak = Bench.status(pid: server.processIdentifier, field: "VmHWM")
        print(String(format: "xmltv.php, whole guide %.0f MB: %.1f s, server RSS %@ before, peak %@ (growth %@)", Double(guideSize) / 1e6,
                     guideStarted.duration(to: .now).inSeconds, StreamBench.megabytes(idle), StreamBench.megabytes(peak),
                     StreamBench.megabytes(peak - idle)))
        var epg: [Double] = []
        for n in 0..<500 {
            let started = ContinuousClock.now
            _ = try await Self.fetch(base + "/player_api.php?username=u&password=p&action=get_short_epg&stream_id=\((n * 7919) % options.channels + 1)")
            epg.append(started.duration(to: .now).inSeconds)
        }
        epg.sort()
        print(String(format: "get_short_epg: p50 %.2f ms, p99 %.2f ms over %d requests", epg[epg.count / 2] * 1000,
                     epg[epg.count * 99 / 100] * 1000, epg.count))
    }

    /// The first answer after a change: the first live category switched off for one account (admin
    /// PATCH) and on again, each followed by `get_live_streams`, which must then be rendered anew (its size
    /// shows the change was seen: smaller without the category, as before with it).
    static func renderAfterChange(base: String) async throws {
        let listURL = base + "/player_api.php?username=u&password=p&action=get_live_streams"
        let before = try await fetch(listURL)
        let (response, body) = try await admin(base + "/api/categories?kind=live")
        guard response == 200, let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let category = (json["categories"] as? [[String: Any]])?.first, let id = category["id"] as? Int,
              let accountID = ((category["accounts"] as? [[String: Any]])?.first?["account_id"]) as? Int else {
            throw UserFacingError("GET /api/categories?kind=live answered \(response) without a category and account")
        }
        for enabled in [false, true] {
            let (status, _) = try await admin(base + "/api/categories/\(id)/accounts/\(accountID)", patch: #"{"enabled": \#(enabled)}"#)
            guard status == 200 else { throw UserFacingError("PATCH /api/categories/\(id)/accounts/\(accountID) answered \(status)") }
            let started = ContinuousClock.now
            let size = try await fetch(listURL)
            let seconds = started.duration(to: .now).inSeconds
            guard enabled ? size == before : size < before else {
                throw UserFacingError("get_live_streams after switching category \(id) \(enabled ? "on" : "off") is \(size) bytes (before: \(before)): the change was not seen")
            }
            print(String(format: "get_live_streams first after a change (category %@ for one account, admin PATCH): %.0f ms, %.1f MB",
                         enabled ? "on" : "off", seconds * 1000, Double(size) / 1e6))
        }
    }

    /// An admin API request: GET, or PATCH with a JSON `body`.
    static func admin(_ url: String, patch body: String? = nil) async throws -> (UInt, Data) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer bench")
        if let body {
            request.method = .PATCH
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await Bench.rawClient.execute(request, timeout: .seconds(60))
        return (response.status.code, Data(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    static func fetch(_ url: String, gzip: Bool = false) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        if gzip { request.headers.add(name: "Accept-Encoding", value: "gzip") }
        let response = try await Bench.rawClient.execute(request, timeout: .seconds(600))
        var size = 0
        for try await buffer in response.body { size += buffer.readableBytes }
        return size
    }
}
