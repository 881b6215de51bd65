import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOCore
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// Rendered answers are kept per login and never served stale: every change to what they hold, by the
/// admin API or a sync in this process, shows in the next answer; by `xcserver sync` in another process
/// (or another connection), within the watch interval.
@Suite struct AnswerCacheTests {
    static let films = "action=get_vod_streams"

    func names(_ env: TestEnvironment, _ parameters: String) async throws -> [String] {
        try await env.api(parameters).items.compactMap { $0["name"].string ?? $0["category_name"].string }
    }

    /// Asks until `done` holds of the names, at most `tries` times 50 ms apart (another process's commit
    /// is seen within the watch interval), and returns the last names.
    func names(_ env: TestEnvironment, _ parameters: String, within tries: Int, until done: ([String]) -> Bool) async throws -> [String] {
        var found = try await names(env, parameters)
        for _ in 1..<tries where !done(found) {
            try await Task.sleep(for: .milliseconds(50))
            found = try await names(env, parameters)
        }
        return found
    }

    /// Asks twice, so the second answer comes from the cache when there is one.
    func twice(_ env: TestEnvironment, _ parameters: String) async throws -> [String] {
        _ = try await names(env, parameters)
        return try await names(env, parameters)
    }

    /// A client that sends `Accept-Encoding: gzip` only when told to and does not inflate what it gets.
    static let raw = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .disabled))

    func get(_ env: TestEnvironment, _ parameters: String, gzip: Bool) async throws -> (headers: HTTPHeaders, body: [UInt8]) {
        var request = HTTPClientRequest(url: env.baseURL + env.apiPath(parameters))
        if gzip { request.headers.add(name: "Accept-Encoding", value: "gzip") }
        let response = try await Self.raw.execute(request, timeout: .seconds(30))
        return (response.headers, Array(try await response.body.collect(upTo: 64 << 20).readableBytesView))
    }

    @Test func aBigListStreamsFirstThenComesWholeFromTheCacheWithTheSameBytes() async throws {
        try await TestEnvironment.with { env in
            let first = try await get(env, Self.films, gzip: false)
            #expect(first.headers["Transfer-Encoding"].first == "chunked", "the first answer is streamed page by page")
            #expect(env.services.answers.bytes >= first.body.count, "and kept once sent")
            let second = try await get(env, Self.films, gzip: false)
            #expect(second.headers["Content-Length"].first == String(first.body.count), "the second is the kept buffer")
            #expect(second.body == first.body && second.headers["Content-Encoding"].isEmpty)

            // gzip: made from the kept bytes the first time, then kept too.
            let gzipFirst = try await get(env, Self.films, gzip: true)
            let gzipSecond = try await get(env, Self.films, gzip: true)
            #expect(gzipFirst.headers["Content-Encoding"].first == "gzip" && gzipSecond.headers["Content-Encoding"].first == "gzip")
            #expect(gzipSecond.headers["Content-Length"].first == String(gzipSecond.body.count))
            #expect(try gunzip(gzipFirst.body) == first.body && gzipSecond.body == gzipFirst.body)

            // Streamed gzip on a cold list (the series) is kept as sent.
            let seriesGzip = try await get(env, "action=get_series", gzip: true)
            #expect(seriesGzip.headers["Transfer-Encoding"].first == "chunked")
            let seriesKept = try await get(env, "action=get_series", gzip: true)
            #expect(seriesKept.headers["Content-Length"].first == String(seriesGzip.body.count) && seriesKept.body == seriesGzip.body)
            let seriesPlain = try await get(env, "action=get_series", gzip: false)
            #expect(seriesPlain.body == (try gunzip(seriesGzip.body)) && !seriesPlain.body.isEmpty)

            // A category filter is its own answer.
            let drama = try await env.categoryID(.movie, "Drama")
            let filtered = try await twice(env, "\(Self.films)&category_id=\(drama)")
            let all = Set(try await names(env, Self.films))
            #expect(!filtered.isEmpty && filtered.count < all.count && Set(filtered).isSubset(of: all))
        }
    }

    @Test func aCategorySwitchChangesTheKeptListsAtOnce() async throws {
        try await TestEnvironment.withAdminAPI { env in
            #expect(try await twice(env, "action=get_vod_categories") == ["Action", "Comedy", "Drama"])
            #expect(try await twice(env, Self.films).contains("Superbad"))
            let comedy = try await env.categoryID(.movie, "Comedy")
            _ = try await env.callJSON("/api/categories/\(comedy)/accounts/alpha", .PATCH, json: #"{"enabled": false}"#)
            #expect(try await names(env, "action=get_vod_categories") == ["Action", "Drama"])
            #expect(!(try await names(env, Self.films)).contains("Superbad"))
        }
    }

    @Test func aTitleRenamedBySyncShowsInTheListAndItsInfoAtOnce() async throws {
        try await TestEnvironment.with { env in
            #expect(try await twice(env, Self.films).contains("Inception"))
            #expect(try await env.api("action=get_vod_info&vod_id=10002")["movie_data"]["name"].string == "Inception")
            #expect(try await env.api("action=get_vod_info&vod_id=10002")["movie_data"]["name"].string == "Inception")
            try env.provider.editList("alpha", file: "get_vod_streams.json") { items in
                items.map { item in
                    guard item["stream_id"].int == 10002, case .object(var fields) = item else { return item }
                    fields["name"] = .string("Inception (Director's Cut)")
                    return .object(fields)
                }
            }
            let report = try await env.services.sync.run(options: SyncOptions(episodes: false))
            #expect(!report.failed, "\(report.text)")
            let films = try await names(env, Self.films)
            #expect(films.contains("Inception (Director's Cut)") && !films.contains("Inception"))
            #expect(try await env.api("action=get_vod_info&vod_id=10002")["movie_data"]["name"].string == "Inception (Director's Cut)")
        }
    }

    @Test func anAllowListAndAPasswordChangeApplyToTheVeryNextRequest() async throws {
        try await TestEnvironment.withAdminAPI { env in
            #expect(try await twice(env, "action=get_vod_categories") == ["Action", "Comedy", "Drama"])
            let drama = try await env.categoryID(.movie, "Drama")
            _ = try await env.callJSON("/api/users/\(TestEnvironment.userName)", .PATCH, json: #"{"allowed_categories": [\#(drama)]}"#)
            #expect(try await names(env, "action=get_vod_categories") == ["Drama"])
            let dramaFilms = try await env.api("action=get_vod_streams&category_id=\(drama)").streamIDs
            #expect(try await env.api(Self.films).streamIDs == dramaFilms)

            #expect(try await env.api()["user_info"]["auth"].int == 1)
            _ = try await env.callJSON("/api/users/\(TestEnvironment.userName)", .PATCH, json: #"{"password": "another one"}"#)
            #expect(try await env.api()["user_info"]["auth"].int == 0, "the old password is refused at once")
            #expect(try await env.request(env.apiPath(password: "another one")).json()["user_info"]["auth"].int == 1)
        }
    }

    @Test func aSyncRunFromTheCommandLineInAnotherProcessShowsWithinTheWatchInterval() async throws {
        try await TestEnvironment.with(sync: false) { env in
            // Synced by this process first, then by the CLI writing the same file.
            #expect(!(try await env.services.sync.run(options: SyncOptions(episodes: false))).failed)
            #expect(try await twice(env, Self.films).contains("Inception"))
            #expect(try await twice(env, "action=get_vod_categories") == ["Action", "Comedy", "Drama"])
            try env.provider.editList("alpha", file: "get_vod_streams.json") { items in
                items.filter { $0["stream_id"].int != 10002 }
            }
            let sync = try SyncCommandTests.Child(["sync", "--db", env.store.path, "--no-episodes", "--rate", "0"], in: env.directory)
            #expect(try await sync.wait(timeout: .seconds(120)) == 0, "\(sync.output)\n\(sync.errors)")
            let films = try await names(env, Self.films, within: 400) { !$0.contains("Inception") }
            #expect(!films.isEmpty && !films.contains("Inception"), "the CLI's sync is seen without a restart")
        }
    }

    /// Disables alpha's Comedy through another `Store` on the same file: a writer this server's commit
    /// observer does not see, as another process.
    func disableComedyFromAnotherConnection(_ env: TestEnvironment) async throws {
        let other = try Store(path: env.store.path, create: false)
        let alpha = try #require(try await other.account(named: "alpha")?.id)
        let comedy = try await env.categoryID(.movie, "Comedy")
        #expect(try await other.setCategoryEnabled(accountID: alpha, categoryID: comedy, enabled: false))
    }

    @Test func anotherConnectionsCommitIsSeenWithinTheWatchInterval() async throws {
        try await TestEnvironment.with { env in
            #expect(try await twice(env, "action=get_vod_categories") == ["Action", "Comedy", "Drama"])
            try await disableComedyFromAnotherConnection(env)
            // Bounded: the watch interval is 200 ms; 20 s allows for a loaded machine.
            let categories = try await names(env, "action=get_vod_categories", within: 400) { $0 == ["Action", "Drama"] }
            #expect(categories == ["Action", "Drama"], "the other connection's commit shows without a restart")
        }
    }

    /// A kept answer costs no SQLite call: with the watcher's poll an hour away, another connection's
    /// commit is not seen by requests (they ask the change count only) until the store checks the file,
    /// and then it is seen by the very next request.
    @Test func aKeptAnswerAsksSQLiteNothingTheWatcherDoes() async throws {
        var config = ServerConfig()
        config.answerCache.watchInterval = .seconds(3600)
        try await TestEnvironment.with(config: config) { env in
            #expect(try await twice(env, "action=get_vod_categories") == ["Action", "Comedy", "Drama"])
            try await disableComedyFromAnotherConnection(env)
            #expect(try await names(env, "action=get_vod_categories") == ["Action", "Comedy", "Drama"],
                    "the request path did not ask SQLite")
            env.store.changes.check()
            #expect(try await names(env, "action=get_vod_categories") == ["Action", "Drama"])
        }
    }

    @Test func aFilmWithoutDetailIsAskedForAgainFromTheCacheAndShowsItOnceFetched() async throws {
        try await TestEnvironment.with { env in
            let first = try await env.api("action=get_vod_info&vod_id=10001")
            #expect(first["movie_data"]["stream_id"].int == 10001)
            #expect(first["info"]["plot"].string == "", "the sync does not fetch details: the first answer has none")
            // The background fetch writes the detail; the kept answer without it is dropped then.
            var plot = ""
            for _ in 0..<100 where plot.isEmpty {
                plot = try await env.api("action=get_vod_info&vod_id=10001")["info"]["plot"].string ?? ""
                if plot.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(!plot.isEmpty, "the detail fetched shows up in the answer")
        }
    }
}
