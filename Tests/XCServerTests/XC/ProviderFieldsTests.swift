import FixtureProvider
import Foundation
import Sync
import Testing
@testable import XCServerKit

/// The fields apps show (year, release date, duration, plot, genre...) reach them as the provider sent
/// them, field by field, from a provider that answers as XUI.one panels do: a `year` in the list items,
/// `release_date` but no `releasedate` in `get_vod_info`, `duration_secs` without `duration`.
@Suite struct ProviderFieldsTests {
    static let vodStreams = #"""
        [{"num": 1, "name": "Raiders of the Lost Ark (1981)", "title": "Raiders of the Lost Ark", "year": "1981",
          "stream_type": "movie", "stream_id": 30001, "stream_icon": "http://xui.example/img/85.jpg", "rating": "7.9",
          "rating_5based": 3.95, "added": "1700000100", "is_adult": "0", "plot": "An archaeologist races the Nazis.",
          "cast": "Harrison Ford, Karen Allen", "director": "Steven Spielberg", "genre": "Adventure, Action",
          "release_date": "1981-06-12", "youtube_trailer": "0xQSIdSRlAk", "episode_run_time": "115",
          "category_id": "5", "category_ids": [5], "container_extension": "mkv", "custom_sid": null,
          "direct_source": "", "tmdb": "85", "trailer": "0xQSIdSRlAk"}]
        """#
    static let vodInfo = #"""
        {"info": {"kinopoisk_url": "https://www.themoviedb.org/movie/85", "tmdb_id": 85, "name": "Raiders of the Lost Ark",
          "o_name": "Raiders of the Lost Ark", "cover_big": "http://xui.example/img/85-big.jpg",
          "movie_image": "http://xui.example/img/85-big.jpg", "release_date": "1981-06-12", "episode_run_time": 115,
          "youtube_trailer": "0xQSIdSRlAk", "director": "Steven Spielberg", "actors": "Harrison Ford, Karen Allen",
          "cast": "Harrison Ford, Karen Allen", "description": "An archaeologist races the Nazis to the Ark.",
          "plot": "An archaeologist races the Nazis to the Ark.", "age": "PG", "mpaa_rating": "PG", "rating_count_kinopoisk": 0,
          "country": "United States of America", "genre": "Adventure, Action",
          "backdrop_path": ["http://xui.example/img/85-backdrop.jpg"], "duration_secs": 5400, "duration": "",
          "video": {"codec_name": "h264", "width": 1920, "height": 1080}, "audio": {"codec_name": "aac", "channels": 2},
          "bitrate": 2500, "rating": "7.9", "year": "1981"},
         "movie_data": {"stream_id": 30001, "name": "Raiders of the Lost Ark (1981)", "added": "1700000100",
          "category_id": "5", "category_ids": [5], "container_extension": "mkv", "custom_sid": null, "direct_source": ""}}
        """#
    static let series = #"""
        [{"num": 1, "name": "Twin Peaks (1990)", "title": "Twin Peaks", "year": "1990", "series_id": 40001,
          "cover": "http://xui.example/img/tp.jpg", "plot": "A murder in a small town.", "cast": "Kyle MacLachlan",
          "director": "David Lynch", "genre": "Drama, Mystery", "release_date": "1990-04-08", "releaseDate": "1990-04-08",
          "last_modified": "", "rating": "8.4", "rating_5based": 4.2, "backdrop_path": [], "youtube_trailer": "",
          "episode_run_time": "47", "category_id": "7", "category_ids": [7], "tmdb": "1920"}]
        """#
    static let seriesInfo = #"""
        {"seasons": [], "info": {"name": "Twin Peaks"},
         "episodes": {"1": [{"id": "41001", "episode_num": 1, "title": "Pilot", "container_extension": "mkv",
           "info": {"tmdb_id": 1000, "releasedate": "1990-04-08", "plot": "Laura Palmer is found.", "duration_secs": 2700,
                    "duration": "", "movie_image": "", "bitrate": 0, "rating": "8.8", "season": "1", "cover_big": ""},
           "custom_sid": "", "added": "", "season": 1, "direct_source": ""}]}}
        """#

    static func account() throws -> TestEnvironment.ProviderAccount {
        let catalog = try FixtureCatalog(
            lists: ["get_vod_categories": Array(#"[{"category_id": "5", "category_name": "Adventure", "parent_id": 0}]"#.utf8),
                    "get_vod_streams": Array(vodStreams.utf8),
                    "get_series_categories": Array(#"[{"category_id": "7", "category_name": "Drama", "parent_id": 0}]"#.utf8),
                    "get_series": Array(series.utf8)],
            seriesInfo: [40001: Array(seriesInfo.utf8)], vodInfo: [30001: Array(vodInfo.utf8)])
        return TestEnvironment.ProviderAccount(fixture: FixtureAccount(username: "xui", password: "xui-pass", catalog: catalog),
                                               name: "xui", priority: 10, maxConnections: 1)
    }

    /// Records every field of `keys` that `provider` gave (not null, not "") and `served` does not show the same.
    static func expectSame(_ served: ProviderValue, _ provider: ProviderValue, _ keys: [String], _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        for key in keys {
            let given = provider[key]
            guard given != .null, given.text != "" else { continue }
            let shown = served[key]
            let same = given.text != nil ? shown.text == given.text : shown == given
            #expect(same, "\(what).\(key): the provider sent \(given), xcserver shows \(shown)", sourceLocation: sourceLocation)
        }
    }

    @Test func listAndDetailKeepTheProvidersFields() async throws {
        try await TestEnvironment.with(accounts: [try Self.account()]) { env in
            let provider = try ProviderValue.parse(Self.vodStreams)[0]
            let detail = try ProviderValue.parse(Self.vodInfo)
            let item = try await env.api("action=get_vod_streams")[0]
            Self.expectSame(item, provider, [
                "name", "stream_type", "stream_id", "stream_icon", "rating", "rating_5based", "added", "is_adult",
                "container_extension", "custom_sid", "direct_source", "tmdb", "trailer", "year",
            ], "get_vod_streams")

            // Before the detail is fetched, what the list said; after, what the detail says.
            let first = try await env.api("action=get_vod_info&vod_id=30001")["info"]
            #expect(first["year"] == .string("1981") && first["releasedate"] == .string("1981-06-12"), "\(first)")
            var info = first
            for _ in 0..<200 where info["duration_secs"].int != 5400 {
                try await Task.sleep(for: .milliseconds(25))
                info = try await env.api("action=get_vod_info&vod_id=30001")["info"]
            }
            Self.expectSame(info, detail["info"], [
                "tmdb_id", "name", "o_name", "cover_big", "movie_image", "release_date", "youtube_trailer", "director", "actors",
                "cast", "description", "plot", "age", "country", "genre", "backdrop_path", "duration_secs", "video", "audio",
                "bitrate", "rating", "year",
            ], "get_vod_info.info")
            #expect(info["releasedate"] == .string("1981-06-12"), "releasedate from the provider's release_date")
            #expect(info["duration"] == .string("01:30:00"), "duration from duration_secs 5400: \(info["duration"])")
            let movieData = try await env.api("action=get_vod_info&vod_id=30001")["movie_data"]
            Self.expectSame(movieData, detail["movie_data"], ["stream_id", "name", "added", "container_extension", "direct_source"],
                            "get_vod_info.movie_data")
            #expect(movieData["custom_sid"] == .string(""))
        }
    }

    @Test func seriesKeepTheirYearAndEpisodesTheirDuration() async throws {
        try await TestEnvironment.with(accounts: [try Self.account()]) { env in
            let provider = try ProviderValue.parse(Self.series)[0]
            let item = try await env.api("action=get_series")[0]
            Self.expectSame(item, provider, [
                "name", "series_id", "cover", "plot", "cast", "director", "genre", "releaseDate", "release_date", "rating",
                "rating_5based", "youtube_trailer", "tmdb", "episode_run_time", "year",
            ], "get_series")
            // The provider left last_modified and the episode's added empty: the time xcserver first saw them.
            let firstSeen = try #require(Int(item["last_modified"].string ?? ""), "last_modified \(item["last_modified"])")
            #expect(abs(firstSeen - Int(Date().timeIntervalSince1970)) < 3600)
            let info = try await env.api("action=get_series_info&series_id=40001")
            #expect(info["info"]["year"] == .string("1990"))
            let episode = info["episodes"]["1"][0]
            #expect(episode["info"]["duration"] == .string("00:45:00"), "\(episode["info"])")
            #expect(episode["info"]["duration_secs"].int == 2700)
            #expect(Int(episode["added"].string ?? "").map { abs($0 - firstSeen) < 3600 } == true, "added \(episode["added"])")
        }
    }
}

@Suite struct WireFieldsTests {
    @Test func numbersClientsConvertAreNeverEmpty() {
        #expect(WireFields.integer("1700000000", else: 5) == "1700000000")
        #expect(WireFields.integer(" 42 ", else: 5) == "42")
        for bad in ["", "false", "2023-11-14 10:00:00", "-3", "1.5"] { #expect(WireFields.integer(bad, else: 5) == "5", "\(bad)") }
        #expect(WireFields.categoryID(nil) == "0" && WireFields.categoryID(12) == "12")
    }

    @Test func yearsAndDurations() {
        #expect(WireFields.year(nil, "0", "1981") == "1981")
        #expect(WireFields.year("1994.0") == "1994")
        #expect(WireFields.year("", "abcd", "12") == nil)
        #expect(WireFields.duration(seconds: 5400) == "01:30:00")
        #expect(WireFields.duration(seconds: 8165) == "02:16:05")
        #expect(WireFields.duration(seconds: 0) == "")
        #expect(WireFields.seconds(duration: "02:16:05") == 8165)
        #expect(WireFields.seconds(duration: "45:00") == 2700)
        for bad in ["", "90", "1:x:00", "-1:00"] { #expect(WireFields.seconds(duration: bad) == nil, "\(bad)") }
    }
}
