import Foundation
import Testing

@testable import FixtureProvider
import DemoProvider

@Suite struct CatalogTests {
    @Test func generatedCatalogOverHTTP() async throws {
        let catalog = FixtureCatalog.generated(movies: 2000, series: 150, episodesPerSeries: 20, seed: 7, idOffset: 1_000_000)
        let layout = GeneratedCatalogLayout(movies: 2000, series: 150, episodesPerSeries: 20, seed: 7, idOffset: 1_000_000)
        let account = FixtureAccount(username: "gen", password: "p w", maxConnections: 4, catalog: catalog, mediaSeed: 99)
        try await withProvider([account]) { provider async throws in
            func get(_ action: String, _ extra: [(String, String)] = []) async throws -> Fetched {
                try await fetch(provider.apiURL(username: "gen", password: "p w", action: action, extra))
            }
            let movies = try #require(try await get("get_vod_streams").json() as? [[String: Any]])
            #expect(movies.count == 2000)
            #expect(movies.first?["stream_id"] as? Int == 1_000_001)
            #expect(movies.last?["stream_id"] as? Int == 1_002_000)
            #expect(movies.last?["num"] as? Int == 2000)
            #expect(Set(movies.compactMap { $0["stream_id"] as? Int }).count == 2000)
            #expect(movies.filter { ($0["tmdb"] as? String) == "" }.count == 200)
            let series = try #require(try await get("get_series").json() as? [[String: Any]])
            #expect(series.count == 150)
            let vodCategories = try #require(try await get("get_vod_categories").json() as? [[String: Any]])
            #expect(vodCategories.count == 10)
            let seriesCategories = try #require(try await get("get_series_categories").json() as? [[String: Any]])
            #expect(seriesCategories.count == 5)

            let seriesID = try #require(series[42]["series_id"] as? Int)
            #expect(seriesID == layout.seriesID(42))
            let info = try #require(try await get("get_series_info", [("series_id", String(seriesID))]).json() as? [String: Any])
            let episodes = try #require(info["episodes"] as? [String: [[String: Any]]])
            #expect(episodes.keys.sorted() == ["1", "2"])
            #expect(episodes.values.map(\.count).reduce(0, +) == 20)
            #expect((info["seasons"] as? [Any])?.count == 2)
            #expect((info["info"] as? [String: Any])?["name"] as? String == series[42]["name"] as? String)
            let firstEpisode = try #require(episodes["2"]?.first)
            let episodeID = try #require(Int(firstEpisode["id"] as? String ?? ""))
            #expect(episodeID == layout.episodeID(series: 42, episode: 10))
            #expect(firstEpisode["episode_num"] as? Int == 1)
            #expect(try await get("get_series_info", [("series_id", "999")]).text == #"{"seasons":[],"info":[],"episodes":[]}"#)

            let vod = try #require(try await get("get_vod_info", [("vod_id", "1000005")]).json() as? [String: Any])
            #expect((vod["movie_data"] as? [String: Any])?["stream_id"] as? Int == 1_000_005)

            let episodeStream = try await fetch(
                provider.streamURL(kind: "series", username: "gen", password: "p w", streamID: episodeID), headers: [("Range", "bytes=0-15")])
            #expect(episodeStream.status == 206)
            #expect(episodeStream.body == FixtureProvider.expectedBytes(account: account, streamID: episodeID, range: 0 ..< 16))
            #expect(try await fetch(provider.streamURL(username: "gen", password: "p w", streamID: 1_002_000), method: .HEAD).status == 200)
            #expect(try await fetch(provider.streamURL(username: "gen", password: "p w", streamID: 1_002_001), method: .HEAD).status == 404)
            #expect(try await fetch(provider.streamURL(kind: "series", username: "gen", password: "p w", streamID: 1_000_001), method: .HEAD).status == 404)
        }
    }

    @Test func generatedCatalogIsDeterministicAndOverlapsAcrossSeeds() throws {
        let a = FixtureCatalog.generated(movies: 500, series: 50, episodesPerSeries: 5, seed: 1)
        let again = FixtureCatalog.generated(movies: 500, series: 50, episodesPerSeries: 5, seed: 1)
        let other = FixtureCatalog.generated(movies: 500, series: 50, episodesPerSeries: 5, seed: 2)
        #expect(a.listBody("get_vod_streams") == again.listBody("get_vod_streams"))
        #expect(a.seriesInfo(7) == again.seriesInfo(7))
        #expect(a.listBody("get_vod_streams") != other.listBody("get_vod_streams"))
        func identities(_ catalog: FixtureCatalog) throws -> [String] {
            let items = try JSONSerialization.jsonObject(with: Data(catalog.listBody("get_vod_streams"))) as? [[String: Any]] ?? []
            return items.map { "\($0["stream_id"] ?? "")|\($0["tmdb"] ?? "")" }
        }
        #expect(try identities(a) == identities(other))
    }

    @Test func benchmarkSizedCatalog() throws {
        let started = ContinuousClock.now
        let catalog = FixtureCatalog.generated(movies: 100_000, series: 10_000, episodesPerSeries: 20, seed: 42)
        let built = ContinuousClock.now - started
        let movies = catalog.listBody("get_vod_streams")
        #expect(movies.count > 20_000_000)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(movies)) as? [Any])
        #expect(parsed.count == 100_000)
        let series = try #require(try JSONSerialization.jsonObject(with: Data(catalog.listBody("get_series"))) as? [Any])
        #expect(series.count == 10_000)
        #expect(catalog.containsEpisode(100_000 + 10_000 * 20))
        #expect(!catalog.containsEpisode(100_000 + 10_000 * 20 + 1))
        #expect(catalog.containsMovie(100_000))
        let info = try #require(catalog.seriesInfo(10_000))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(info)) as? [String: Any])
        #expect((root["episodes"] as? [String: Any])?.count == 2)
        #expect(built < .seconds(60))
    }

    @Test func directoryCatalogReadsIdsInEveryShape() throws {
        let alpha = try FixtureCatalog.directory(fixturesDirectory.appendingPathComponent("alpha"))
        let beta = try FixtureCatalog.directory(fixturesDirectory.appendingPathComponent("beta"))
        // "10002" as a string, 10001 as a number; the item without stream_id is not streamable.
        for id in [10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10010, 10011, 10012, 10013] {
            #expect(alpha.containsMovie(id), "\(id)")
        }
        #expect(!alpha.containsMovie(10009))
        // Episodes from an object keyed by season, from an array of seasons, ids as string and number.
        for id in [11001, 11004, 11005, 11101, 11103, 11106, 11201, 11202, 11205] {
            #expect(alpha.containsEpisode(id), "\(id)")
        }
        #expect(!alpha.containsEpisode(11203))
        for id in [20001, 20002, 20003, 20004, 10007, 10008, 20008, 20009, 20010, 20011] {
            #expect(beta.containsMovie(id), "\(id)")
        }
        for id in 21001 ... 21006 { #expect(beta.containsEpisode(id)) }
        for id in 21101 ... 21103 { #expect(beta.containsEpisode(id)) }
        #expect(throws: (any Error).self) { try FixtureCatalog.directory(fixturesDirectory.appendingPathComponent("nope")) }
    }

    @Test func rawCatalogInit() throws {
        let catalog = try FixtureCatalog(
            lists: ["get_vod_streams": Array(#"[{"stream_id":"7","name":"X"},{"stream_id":false},{"stream_id":8.0}]"#.utf8)],
            seriesInfo: [3: Array(#"{"episodes":[[{"id":"9"}],[{"id":10},{"title":"no id"}]]}"#.utf8)])
        #expect(catalog.containsMovie(7))
        #expect(catalog.containsMovie(8))
        #expect(!catalog.containsMovie(0))
        #expect(catalog.containsEpisode(9))
        #expect(catalog.containsEpisode(10))
        #expect(catalog.listBody("get_series") == Array("[]".utf8))
        #expect(catalog.vodInfo(7) != nil)
        #expect(catalog.vodInfo(99) == nil)
    }
}

@Suite struct UnitTests {
    @Test func expectedBytesAreDeterministicAndSliceable() {
        let account = FixtureAccount(username: "u", password: "p", mediaSeed: 5, mediaSize: 10_000)
        let whole = FixtureProvider.expectedBytes(account: account, streamID: 3, range: 0 ..< 10_000)
        #expect(whole.count == 10_000)
        for range in [0 ..< 1, 3 ..< 11, 7 ..< 8, 8 ..< 16, 13 ..< 9_999, 9_990 ..< 10_000] {
            #expect(FixtureProvider.expectedBytes(account: account, streamID: 3, range: range) == Array(whole[range]), "\(range)")
        }
        #expect(FixtureProvider.expectedBytes(account: account, streamID: 3, range: 9_990 ..< 20_000).count == 10)
        var other = account
        other.mediaSeed = 6
        #expect(FixtureProvider.expectedBytes(account: other, streamID: 3, range: 0 ..< 64) != Array(whole[0 ..< 64]))
        #expect(FixtureProvider.expectedBytes(account: account, streamID: 4, range: 0 ..< 64) != Array(whole[0 ..< 64]))
        // Not trivially constant.
        #expect(Set(whole).count > 200)
    }

    @Test func rangeParsing() {
        let total = 1000
        #expect(ByteRangeRequest.parse(nil, total: total) == .full)
        #expect(ByteRangeRequest.parse("bytes=0-", total: total) == .partial(0 ..< 1000))
        #expect(ByteRangeRequest.parse("bytes=10-19", total: total) == .partial(10 ..< 20))
        #expect(ByteRangeRequest.parse("bytes=990-5000", total: total) == .partial(990 ..< 1000))
        #expect(ByteRangeRequest.parse("bytes=-100", total: total) == .partial(900 ..< 1000))
        #expect(ByteRangeRequest.parse("bytes=-5000", total: total) == .partial(0 ..< 1000))
        #expect(ByteRangeRequest.parse("bytes=1000-", total: total) == .unsatisfiable)
        #expect(ByteRangeRequest.parse("bytes=-0", total: total) == .unsatisfiable)
        #expect(ByteRangeRequest.parse("bytes=99999999999999999999999-", total: total) == .unsatisfiable)
        #expect(ByteRangeRequest.parse("bytes=20-10", total: total) == .full)
        #expect(ByteRangeRequest.parse("bytes=0-1,5-6", total: total) == .full)
        #expect(ByteRangeRequest.parse("items=0-1", total: total) == .full)
        #expect(ByteRangeRequest.parse("bytes=x-", total: total) == .full)
        #expect(ByteRangeRequest.parse("bytes=0-", total: 0) == .unsatisfiable)
    }

    @Test func formDecoding() {
        var values: [String: String] = [:]
        URLText.form("username=alpha&password=a%2Bb%26c%2Fd%20e&x=1+2&empty=&flag&bad=%zz", into: &values)
        #expect(values["username"] == "alpha")
        #expect(values["password"] == "a+b&c/d e")
        #expect(values["x"] == "1 2")
        #expect(values["empty"] == "")
        #expect(values["flag"] == "")
        #expect(values["bad"] == "%zz")
        #expect(URLText.decode("a+b%2F", plusAsSpace: false) == "a+b/")
        #expect(FixtureProvider.percentEncode("a+b&c/d e") == "a%2Bb%26c%2Fd%20e")
        #expect(URLText.decode(Substring(FixtureProvider.percentEncode("é ü/+")), plusAsSpace: true) == "é ü/+")
    }
}
