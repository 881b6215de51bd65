import AsyncHTTPClient
import FixtureProvider
import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// `/api/vod/...`: paged catalog lists with filters, titles with every relation, and stream URLs with
/// the account that would serve them now.
@Suite struct AdminCatalogTests {
    func ids(_ page: ProviderValue) -> [Int] { page["items"].items.compactMap { $0["id"].int } }

    @Test func moviePagesCountAndFilterAsTheFixturesSay() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let all = try await env.callJSON("/api/vod/movies")
            #expect(all["total"].int == 24 && all["page"].int == 1 && all["per_page"].int == 50)
            #expect(all["items"].items.count == 24, "one item per entry (docs/variants.md)")
            let fightClub = try #require(all["items"].items.last)
            #expect((fightClub["id"].int ?? 0) > 2_000_000_000, "Fight Club's replacement id sorts last")
            #expect(fightClub["account"]["name"].string == "beta" && fightClub["relations"].int == 1)
            let matrix = all["items"][0]
            #expect(matrix["id"].int == 10001 && matrix["name"].string == "EN - The Matrix (1999)" && matrix["year"].int == 1999)
            #expect(matrix["container_extension"].string == "mkv" && matrix["served"] == .bool(true) && matrix["relations"].int == 1)
            #expect(matrix["tmdb"].string == "603" && matrix["account"]["name"].string == "alpha")
            #expect(matrix["episodes"] == .null, "movies have no episode count")

            // Pages of 5: 5 + 5 + 5 + 5 + 4, in public id order, the same total on each.
            var seen: [Int] = []
            for page in 1...6 {
                let answer = try await env.callJSON("/api/vod/movies?per_page=5&page=\(page)")
                #expect(answer["total"].int == 24 && answer["page"].int == page && answer["per_page"].int == 5)
                #expect(ids(answer).count == [5, 5, 5, 5, 4, 0][page - 1])
                seen += ids(answer)
            }
            #expect(seen == ids(all))

            // Filters (fixtures/README.md): Action 15, Comedy 4, Drama 8, Documentaries 0.
            for (name, total) in [("Action", 15), ("Comedy", 4), ("Drama", 8), ("Documentaries", 0)] {
                let id = try await env.categoryID(.movie, name)
                #expect(try await env.callJSON("/api/vod/movies?category=\(id)")["total"].int == total, "\(name)")
            }
            let comedy = try await env.categoryID(.movie, "Comedy")
            #expect(ids(try await env.callJSON("/api/vod/movies?category=\(comedy)")) == [10010, 10011, 10012, 10013])
            let matrixAndFightClub = try await env.callJSON("/api/vod/movies?year=1999")
            #expect(matrixAndFightClub["total"].int == 2)
            #expect(matrixAndFightClub["items"].items.compactMap { $0["name"].string } == ["EN - The Matrix (1999)", "Fight Club (1999)"])
            #expect(ids(try await env.callJSON("/api/vod/movies?q=MATRIX")) == [10001, 20001], "EN - The Matrix and The Matrix")
            let the = try await env.callJSON("/api/vod/movies?q=the")
            #expect(the["total"].int == 5, "both Matrix entries, Godfather, Grand Budapest, Shawshank")
            let action = try await env.categoryID(.movie, "Action")
            #expect(ids(try await env.callJSON("/api/vod/movies?q=The&category=\(action)")) == [10001, 10008, 20001])
            #expect(ids(try await env.callJSON("/api/vod/movies?year=1999&category=\(action)")) == [10001])
            #expect(try await env.callJSON("/api/vod/movies?q=no%20such%20film")["total"].int == 0)
            #expect(try await env.callJSON("/api/vod/movies?q=%7CEN%7C")["total"].int == 2, "|EN| Interstellar 4K, |EN| Whiplash (2014)")
        }
    }

    @Test func badParametersAre400NamingThem() async throws {
        try await TestEnvironment.withAdminAPI(sync: false) { env in
            for (query, field) in [("per_page=0", "per_page"), ("per_page=501", "per_page"), ("per_page=ten", "per_page"),
                                   ("page=0", "page"), ("page=-1", "page"), ("year=nineteen", "year"),
                                   ("category=Action", "category"), ("all=maybe", "all")] {
                for path in ["/api/vod/movies", "/api/vod/series"] {
                    expectAPIError(try await env.call("\(path)?\(query)"), 400, code: "invalid", field: field)
                }
            }
            #expect(try await env.callJSON("/api/vod/movies?per_page=500")["per_page"].int == 500)
            #expect(try await env.callJSON("/api/vod/movies?per_page=1")["total"].int == 0, "nothing synced yet")
        }
    }

    @Test func seriesPagesAndDetails() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let all = try await env.callJSON("/api/vod/series")
            #expect(all["total"].int == 4 && ids(all) == [501, 502, 503, 602])
            let breakingBad = all["items"][0]
            #expect(breakingBad["episodes"].int == 6 && breakingBad["relations"].int == 2 && breakingBad["account"]["name"].string == "alpha")
            #expect(breakingBad["container_extension"] == .null)
            let drama = try await env.categoryID(.series, "Drama")
            #expect(ids(try await env.callJSON("/api/vod/series?category=\(drama)")) == [501, 503])
            #expect(ids(try await env.callJSON("/api/vod/series?q=dark")) == [502])

            let series = try await env.callJSON("/api/vod/series/501")["series"]
            #expect(series["id"].int == 501 && series["name"].string == "Breaking Bad")
            let relations = series["relations"].items
            #expect(relations.map { $0["account"]["name"].string } == ["alpha", "beta"])
            #expect(relations.map { $0["series_id"].int } == [501, 601])
            #expect(relations.map { $0["served"] } == [.bool(true), .bool(false)])
            let seasons = series["seasons"].items
            #expect(seasons.map { $0["season"].int } == [1, 2])
            let episodes = seasons.flatMap { $0["episodes"].items }
            #expect(episodes.map { $0["id"].int } == [11001, 11002, 11003, 11004, 11005, 21006])
            #expect(episodes.map { $0["relations"].items.count } == [2, 2, 2, 2, 2, 1])
            let first = episodes[0]
            #expect(first["season"].int == 1 && first["episode_num"].int == 1 && first["served"] == .bool(true))
            #expect(first["relations"].items.map { $0["stream_id"].int } == [11001, 21001])
            #expect(first["relations"][0]["container_extension"].string?.isEmpty == false)
            #expect((first["relations"][0]["last_seen"].int ?? 0) > 1_700_000_000 && first["relations"][0]["stale"] == .bool(false))
            #expect(episodes[5]["relations"][0]["account"]["name"].string == "beta")

            let dark = try await env.callJSON("/api/vod/series/502")["series"]
            #expect(dark["seasons"].items.map { $0["season"].int } == [0, 1, 2])
            expectAPIError(try await env.call("/api/vod/series/9999"), 404, code: "not_found")
            expectAPIError(try await env.call("/api/vod/series/10001"), 404, code: "not_found")
        }
    }

    @Test func movieDetailsShowEveryRelation() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let alien = try await env.callJSON("/api/vod/movies/10014")["movie"]
            #expect(alien["id"].int == 10014 && alien["served"] == .bool(true) && alien["seasons"] == .null)
            let relations = alien["relations"].items
            #expect(relations.count == 2)
            #expect(relations.map { $0["account"]["name"].string } == ["alpha", "beta"])
            #expect(relations.map { $0["stream_id"].int } == [10014, 20012])
            #expect(relations.map { $0["container_extension"].string } == ["mkv", "mkv"])
            #expect(relations.map { $0["served"] } == [.bool(true), .bool(false)])
            #expect(relations.allSatisfy { $0["stale"] == .bool(false) && $0["stale_since"] == .null && ($0["last_seen"].int ?? 0) > 1_700_000_000 })
            #expect(relations[1]["name"].string == "Alien: Covenant (2017)")
            #expect(alien["variants"].items.map { $0["id"].int } == [10014, 10015], "the 4K copy is a variant of its own")

            let interstellar = try await env.callJSON("/api/vod/movies/10003")["movie"]
            #expect(interstellar["relations"].items.map { $0["stream_id"].int } == [10003], "two copies in one account are two entries")
            #expect(interstellar["variants"].items.map { $0["relations"].items.map { $0["container_extension"].string } } == [["mkv"], ["mp4"]])

            let godfather = try await env.callJSON("/api/vod/movies/10008")["movie"]
            #expect(godfather["relations"].items.map { "\($0["account"]["name"].string ?? "") \($0["stream_id"].int ?? 0)" } == ["alpha 10008", "beta 10008"])

            for path in ["/api/vod/movies/424242", "/api/vod/movies/501", "/api/vod/movies/abc"] {
                expectAPIError(try await env.call(path), 404, code: "not_found")
            }
        }
    }

    @Test func staleTitlesAreListedOnlyWithAll() async throws {
        try await TestEnvironment.withAdminAPI { env in
            // Beta's copy of Parasite goes stale (its provider stopped listing it): the title is not served.
            try await env.store.testWrite { db in
                try db.execute(sql: "UPDATE movie_relation SET stale = 1, stale_since = 1700000000 WHERE stream_id = 20008")
            }
            #expect(try await env.callJSON("/api/vod/movies")["total"].int == 23)
            let all = try await env.callJSON("/api/vod/movies?all=true")
            #expect(all["total"].int == 24)
            let parasite = try #require(all["items"].items.first { $0["id"].int == 20008 })
            #expect(parasite["served"] == .bool(false) && parasite["name"].string == "Parasite (2019)")
            let drama = try await env.categoryID(.movie, "Drama")
            #expect(try await env.callJSON("/api/vod/movies?category=\(drama)")["total"].int == 7)
            #expect(try await env.callJSON("/api/vod/movies?category=\(drama)&all=true")["total"].int == 8)
            let detail = try await env.callJSON("/api/vod/movies/20008")["movie"]
            #expect(detail["served"] == .bool(false))
            #expect(detail["relations"][0]["stale"] == .bool(true) && detail["relations"][0]["stale_since"] == .number(1_700_000_000))
            expectAPIError(try await env.call("/api/vod/movies/20008/stream"), 404)
        }
    }

    @Test func streamURLsNameTheAccountThatWouldServeNow() async throws {
        try await TestEnvironment.withAdminAPI(grace: .milliseconds(200)) { env in
            let password = PlaylistController.pathEncode(TestEnvironment.userPassword)
            let answer = try await env.callJSON("/api/vod/movies/10014/stream")
            #expect(answer["url"].string == "\(env.baseURL)/movie/\(TestEnvironment.userName)/\(password)/10014.mkv")
            #expect(answer["user"].string == TestEnvironment.userName)
            #expect(answer["account"]["name"].string == "alpha")
            #expect(answer["candidates"].items.map { $0["account_name"].string } == ["alpha", "beta"])
            #expect(answer["candidates"].items.map { $0["has_room"] } == [.bool(true), .bool(true)])

            // Hold alpha's only connection with an open, unread stream: beta would serve a new viewing.
            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "alpha")
            var request = HTTPClientRequest(url: env.baseURL + env.moviePath(10007))
            request.headers.add(name: "User-Agent", value: "holder")
            let held = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(held.status == .ok)
            let busy = try await env.callJSON("/api/vod/movies/10014/stream")
            #expect(busy["account"]["name"].string == "beta")
            let alpha = busy["candidates"][0]
            #expect(alpha["account_name"].string == "alpha" && alpha["load"].int == 1 && alpha["max_connections"].int == 1)
            #expect(alpha["has_room"] == .bool(false))
            // Grand Budapest is only alpha's: no account has room for it now.
            let budapest = try await env.callJSON("/api/vod/movies/10010/stream")
            #expect(budapest["account"] == .null)
            for try await _ in held.body {}
            // After the grace period alpha is free again.
            var name: String?
            for _ in 0..<50 where name != "alpha" {
                try await Task.sleep(for: .milliseconds(100))
                name = try await env.callJSON("/api/vod/movies/10014/stream")["account"]["name"].string
            }
            #expect(name == "alpha")

            // The URL it gives plays.
            let url = try #require(answer["url"].string)
            #expect(try await env.request(String(url.dropFirst(env.baseURL.count)), headers: [("Range", "bytes=0-9")]).status == 206)
        }
    }

    @Test func episodeStreamsUsersAnd404s() async throws {
        try await TestEnvironment.withAdminAPI { env in
            let episode = try await env.callJSON("/api/vod/episodes/11001/stream")
            let url = try #require(episode["url"].string)
            #expect(url.hasPrefix("\(env.baseURL)/series/\(TestEnvironment.userName)/"))
            #expect(url.contains("/11001."))
            #expect(episode["account"]["name"].string == "alpha")
            #expect(try await env.callJSON("/api/vod/episodes/21006/stream")["account"]["name"].string == "beta", "S2E3 is only beta's")
            #expect(try await env.request(String(url.dropFirst(env.baseURL.count)), headers: [("Range", "bytes=0-9")]).status == 206)

            _ = try await env.callJSON("/api/users", .POST, json: #"{"username":"guest","password":"g&st"}"#, expect: 201)
            let guest = try await env.callJSON("/api/vod/movies/20009/stream?user=guest")
            #expect(guest["url"].string == "\(env.baseURL)/movie/guest/g%26st/20009.mkv")
            #expect(guest["account"]["name"].string == "beta")

            expectAPIError(try await env.call("/api/vod/movies/10001/stream?user=nobody"), 404, code: "not_found")
            expectAPIError(try await env.call("/api/vod/movies/424242/stream"), 404, code: "not_found")
            expectAPIError(try await env.call("/api/vod/episodes/424242/stream"), 404, code: "not_found")
            expectAPIError(try await env.call("/api/vod/episodes/10001/stream"), 404, code: "not_found")

            for user in ["guest", TestEnvironment.userName] {
                #expect(try await env.call("/api/users/\(PlaylistController.pathEncode(user))", .DELETE).status == 204)
            }
            expectAPIError(try await env.call("/api/vod/movies/10001/stream"), 404, code: "not_found")
        }
    }
}
