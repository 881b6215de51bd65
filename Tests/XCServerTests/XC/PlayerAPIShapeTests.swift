import AsyncHTTPClient
import Foundation
import Sync
import Testing
@testable import XCServerKit

/// Every endpoint over real HTTP after a real sync of both fixture accounts: field types as the spec
/// lists them, and no `null` anywhere.
@Suite struct PlayerAPIShapeTests {
    @Test func loginAnswersUserAndServerInfo() async throws {
        try await TestEnvironment.with { env in
            let reply = try await env.request(env.apiPath(), headers: [("Host", "tv.example:9000")])
            let answer = try reply.json()
            #expect(nullPaths(in: answer).isEmpty)
            expectShape(answer.object?["user_info"], Shapes.userInfo, "user_info")
            expectShape(answer.object?["server_info"], Shapes.serverInfo, "server_info")
            let user = try #require(answer.object?["user_info"]?.object)
            #expect(user["auth"] == .number(1))
            #expect(user["username"] == .string(TestEnvironment.userName))
            #expect(user["max_connections"] == .string("2"))
            // A login without expiry gets a far-future date, not "": strict clients run int() on it.
            #expect(user["exp_date"] == .string(String(WireFields.noExpiry)))
            let server = try #require(answer.object?["server_info"]?.object)
            #expect(server["url"] == .string("tv.example"))
            #expect(server["port"] == .string("9000"))
        }
    }

    @Test func timeNowIsUTCInThePanelsFormat() {
        #expect(AuthAnswer.timeNow(Date(timeIntervalSince1970: 1_700_000_000)) == "2023-11-14 22:13:20")
        #expect(AuthAnswer.timeNow(Date(timeIntervalSince1970: 1_709_251_199.9)) == "2024-02-29 23:59:59")
    }

    @Test func wrongCredentialsAnswerAuthZero() async throws {
        try await TestEnvironment.with(sync: false) { env in
            for path in [env.apiPath(password: "wrong"), env.apiPath("action=get_vod_streams", password: "wrong"),
                         "/player_api.php", env.apiPath(username: "nobody")] {
                let reply = try await env.request(path)
                #expect(reply.status == 200)
                #expect(try reply.json() == .object(["user_info": .object(["auth": .number(0)])]))
            }
            // The password has `+`, `&`, `/` and a space: sent unencoded it is a different password.
            let raw = try await env.request("/player_api.php?username=\(TestEnvironment.userName)&password=\(TestEnvironment.userPassword.replacingOccurrences(of: " ", with: "%20"))")
            #expect(try raw.json().object?["user_info"]?.object?["auth"] == .number(0))
        }
    }

    @Test func listsHaveTheSpecTypesAndNoNulls() async throws {
        try await TestEnvironment.with { env in
            let movies = try await env.api("action=get_vod_streams")
            let series = try await env.api("action=get_series")
            #expect(nullPaths(in: movies).isEmpty, "nulls: \(nullPaths(in: movies))")
            #expect(nullPaths(in: series).isEmpty, "nulls: \(nullPaths(in: series))")
            let movieItems = try #require(movies.array)
            let seriesItems = try #require(series.array)
            #expect(!movieItems.isEmpty && !seriesItems.isEmpty)
            for (index, item) in movieItems.enumerated() {
                expectShape(item, Shapes.vodStream, "movie \(index)")
                #expect(item.object?["num"] == .number(Double(index + 1)))
                #expect(item.object?["stream_type"] == .string("movie"))
            }
            for (index, item) in seriesItems.enumerated() {
                expectShape(item, Shapes.seriesItem, "series \(index)")
            }
            for action in ["get_vod_categories", "get_series_categories"] {
                let categories = try #require(try await env.api("action=\(action)").array)
                #expect(!categories.isEmpty)
                for category in categories { expectShape(category, Shapes.category, action) }
            }
            #expect(try await env.api("action=get_live_categories").array?.isEmpty == false, "the live lists: LiveCatalogTests")
        }
    }

    @Test func infoAnswersHaveTheSpecTypes() async throws {
        try await TestEnvironment.with { env in
            for item in try #require(try await env.api("action=get_vod_streams").array) {
                let id = try #require(item.object?["stream_id"]?.int)
                let info = try await env.api("action=get_vod_info&vod_id=\(id)")
                #expect(nullPaths(in: info).isEmpty, "vod \(id) nulls: \(nullPaths(in: info))")
                expectShape(info.object?["info"], Shapes.vodInfo, "vod_info \(id)")
                expectShape(info.object?["movie_data"], Shapes.movieData, "movie_data \(id)")
                #expect(info.object?["movie_data"]?.object?["stream_id"]?.int == id)
            }
            var episodes = 0
            for item in try #require(try await env.api("action=get_series").array) {
                let id = try #require(item.object?["series_id"]?.int)
                let info = try await env.api("action=get_series_info&series_id=\(id)")
                #expect(nullPaths(in: info).isEmpty, "series \(id) nulls: \(nullPaths(in: info))")
                expectShape(info.object?["info"], Shapes.seriesFields, "series_info \(id)")
                let seasons = try #require(info.object?["seasons"]?.array)
                for season in seasons { expectShape(season, Shapes.season, "season of \(id)") }
                let bySeason = try #require(info.object?["episodes"]?.object)
                for (key, list) in bySeason {
                    #expect(Int(key) != nil)
                    #expect(seasons.contains { $0.object?["season_number"]?.int == Int(key) }, "season \(key) of \(id) has no entry")
                    let numbers = try #require(list.array).compactMap { $0.object?["episode_num"]?.int }
                    #expect(numbers == numbers.sorted())
                    for episode in list.array ?? [] {
                        episodes += 1
                        expectShape(episode, Shapes.episode, "episode of \(id)")
                        expectShape(episode.object?["info"], Shapes.episodeInfo, "episode info of \(id)")
                        #expect(episode.object?["season"]?.int == Int(key))
                    }
                }
            }
            #expect(episodes > 0)
        }
    }

    @Test func unknownIdsAndActionsAnswerEmptyShapes() async throws {
        try await TestEnvironment.with { env in
            let empty = try await env.api("action=get_vod_info&vod_id=999999")
            #expect(empty == .object(["info": .object([:]), "movie_data": .object([:])]))
            #expect(try await env.api("action=get_vod_info") == empty)
            #expect(try await env.api("action=get_vod_info&vod_id=abc") == empty)
            let noSeries = ProviderValue.object(["seasons": .array([]), "info": .object([:]), "episodes": .object([:])])
            #expect(try await env.api("action=get_series_info&series_id=999999") == noSeries)
            #expect(try await env.api("action=get_series_info") == noSeries)
            #expect(try await env.api("action=no_such_action") == .array([]))
            #expect(try await env.api("action=get_short_epg&stream_id=1") == .object(["epg_listings": .array([])]))
            #expect(try await env.api("action=get_simple_data_table&stream_id=1") == .object(["epg_listings": .array([])]))
            #expect(try await env.api("action=get_vod_streams&category_id=987654") == .array([]))
        }
    }

    @Test func postWithFormBodyIsAnsweredLikeGet() async throws {
        try await TestEnvironment.with { env in
            let form = "username=\(ProviderClient.percentEncode(TestEnvironment.userName))&password=\(ProviderClient.percentEncode(TestEnvironment.userPassword))&action=get_vod_categories"
            let post = try await env.request("/player_api.php", method: .POST,
                                             headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
            #expect(post.status == 200)
            #expect(try post.json() == (try await env.api("action=get_vod_categories")))
        }
    }

    @Test func largeListsAreGzippedWhenAsked() async throws {
        try await TestEnvironment.with { env in
            // A client that does not decompress, so the body is the raw gzip stream.
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .disabled))
            defer { _ = client.shutdown() }
            func get(_ headers: [(String, String)]) async throws -> (encoding: String?, body: [UInt8]) {
                var request = HTTPClientRequest(url: env.baseURL + env.apiPath("action=get_vod_streams"))
                request.headers.add(contentsOf: headers)
                let response = try await client.execute(request, timeout: .seconds(30))
                return (response.headers.first(name: "Content-Encoding"), Array(try await response.body.collect(upTo: 64 << 20).readableBytesView))
            }
            let zipped = try await get([("Accept-Encoding", "gzip, deflate")])
            #expect(zipped.encoding == "gzip")
            #expect(zipped.body.prefix(2) == [0x1f, 0x8b])
            let plain = try await get([])
            #expect(plain.encoding == nil)
            #expect(plain.body.first == UInt8(ascii: "["))
            let unzipped = try gunzip(zipped.body)
            #expect(unzipped.count == plain.body.count)
            #expect(unzipped == plain.body, "gunzipped body differs from the plain one")
        }
    }

    @Test func playlistAndGuide() async throws {
        try await TestEnvironment.with { env in
            let credentials = "username=\(ProviderClient.percentEncode(TestEnvironment.userName))&password=\(ProviderClient.percentEncode(TestEnvironment.userPassword))"
            let playlist = try await env.request("/get.php?\(credentials)&type=m3u_plus&output=ts", headers: [("Host", "tv.example:9000")])
            #expect(playlist.status == 200)
            let lines = playlist.text.split(separator: "\n").map(String.init)
            #expect(lines.first == "#EXTM3U url-tvg=\"http://tv.example:9000/xmltv.php?\(credentials)\" x-tvg-url=\"http://tv.example:9000/xmltv.php?\(credentials)\"")
            let movies = try #require(try await env.api("action=get_vod_streams").array)
            let movieURLs = lines.filter { $0.hasPrefix("http://tv.example:9000/movie/") }
            #expect(movieURLs.count == movies.count)
            let encodedPassword = PlaylistController.pathEncode(TestEnvironment.userPassword)
            #expect(movieURLs.allSatisfy { $0.contains("/\(TestEnvironment.userName)/\(encodedPassword)/") })
            #expect(lines.contains { $0.hasPrefix("http://tv.example:9000/series/") })
            #expect(lines.filter { $0.hasPrefix("#EXTINF:-1 ") }.count == lines.filter { $0.hasPrefix("http://") }.count)
            let guide = try await env.request("/xmltv.php?\(credentials)")
            #expect(guide.status == 200)
            #expect(guide.text.contains(#"<tv generator-info-name="xcserver">"#))
            #expect(try await env.request("/get.php?username=x&password=y").status == 401)
        }
    }
}
