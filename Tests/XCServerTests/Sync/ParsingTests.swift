import Foundation
import Sync
import Testing
import XCModels
@testable import XCServerKit

@Suite struct JSONItemSplitterTests {
    @Test func splitsAnArrayFedOneByteAtATime() throws {
        let body = #" [{"a":"x]}\"{"}, {"b":[1,{"c":2}]} ,{}] "#
        var splitter = JSONItemSplitter()
        var items: [String] = []
        for byte in body.utf8 {
            items += try splitter.feed([byte]).map { String(decoding: $0, as: UTF8.self) }
        }
        try splitter.finish()
        #expect(items == [#"{"a":"x]}\"{"}"#, #"{"b":[1,{"c":2}]}"#, "{}"])
    }

    @Test func splitsTheValuesOfAnObjectKeyedList() throws {
        var splitter = JSONItemSplitter()
        let items = try splitter.feed(Array(#"{"0":{"id":1},"1":{"id":2}}"#.utf8))
        try splitter.finish()
        #expect(items.count == 2)
        #expect(splitter.topLevelIsObject)
    }

    @Test func rejectsHTMLAndTruncatedBodies() throws {
        var html = JSONItemSplitter()
        #expect(throws: JSONItemSplitter.Failure.self) { try html.feed(Array("<html>busy</html>".utf8)) }
        var cut = JSONItemSplitter()
        _ = try cut.feed(Array(#"[{"a":1},{"b""#.utf8))
        #expect(throws: JSONItemSplitter.Failure.truncated) { try cut.finish() }
        let empty = JSONItemSplitter()
        #expect(throws: JSONItemSplitter.Failure.self) { try empty.finish() }
    }
}

@Suite struct TitleIdentityTests {
    @Test func normalizesNamesAcrossProviderConventions() {
        let a = TitleIdentity(tmdb: nil, imdb: nil, name: "EN - The Matrix (1999)", year: nil)
        let b = TitleIdentity(tmdb: nil, imdb: nil, name: "|EN| The Matrix 4K", year: 1999)
        let c = TitleIdentity(tmdb: nil, imdb: nil, name: "[EN] the matrix: 1999 FHD", year: nil)
        #expect(a.nameYearKey == "the matrix|1999")
        #expect(b.nameYearKey == a.nameYearKey)
        #expect(c.nameYearKey == a.nameYearKey)
        #expect(TitleIdentity(tmdb: nil, imdb: nil, name: "1917", year: nil).nameKey == "1917")
    }

    @Test func ignoresPlaceholderIDs() {
        #expect(TitleIdentity.cleanTMDB("0") == nil)
        #expect(TitleIdentity.cleanTMDB("") == nil)
        #expect(TitleIdentity.cleanTMDB(" 603 ") == "603")
        #expect(TitleIdentity.cleanTMDB("n/a") == nil)
        #expect(TitleIdentity.cleanIMDB("TT0133093") == "tt0133093")
        #expect(TitleIdentity.cleanIMDB("0133093") == nil)
    }
}

@Suite struct ProviderValueTests {
    @Test func readsEveryShapeOfAField() throws {
        let item = try ProviderObject(json: Array(#"""
            {"stream_id":"42","rating":7.5,"added":1700000000,"tmdb":null,"cover":false,"category_ids":["3",4],
             "backdrop_path":"http://x/b.jpg","releaseDate":"1999-03-30"}
            """#.utf8))
        #expect(item.int("stream_id") == 42)
        #expect(item.string("rating") == "7.5")
        #expect(item.string("added") == "1700000000")
        #expect(item.string("tmdb") == "")
        #expect(item.string("cover") == "")
        #expect(item.intList("category_ids") == [3, 4])
        #expect(item.stringList("backdrop_path") == ["http://x/b.jpg"])
        #expect(item.year == 1999)
    }

    @Test func reencodesDeterministically() throws {
        let a = try ProviderValue.parse(#"{"b":1,"a":[true,null,"x\"y"],"c":1.5}"#)
        let b = try ProviderValue.parse(#"{"c":1.5,"a":[true,null,"x\"y"],"b":1}"#)
        #expect(a.jsonText == b.jsonText)
        #expect(a.jsonText == #"{"a":[true,null,"x\"y"],"b":1,"c":1.5}"#)

        // Control characters, quotes and backslashes escaped, the rest as is.
        let text = ProviderValue.object(["k\u{1}": .string("q\"b\\n\n\r\t\u{1f}é")]).jsonText
        #expect(text == #"{"k\u0001":"q\"b\\n\n\r\t\u001fé"}"#)
    }
}

@Suite struct XCQueryTests {
    @Test func decodesLikePHP() {
        let query = XCQuery(query: "username=a%2Bb&password=p+q%26r%2Fs&action=get_vod_streams&username=ignored")
        #expect(query.username == "a+b")
        #expect(query.password == "p q&r/s")
        #expect(query["action"] == "get_vod_streams")
    }

    @Test func parsesHostHeaders() {
        #expect(ServerAddress.parseHost("tv.local:8080") == ("tv.local", 8080))
        #expect(ServerAddress.parseHost("[::1]:9000") == ("[::1]", 9000))
        #expect(ServerAddress.parseHost("example") == ("example", nil))
    }
}
