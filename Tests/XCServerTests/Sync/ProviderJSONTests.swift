import Foundation
import Sync
import Testing

/// The sync's JSON reader (`ProviderJSON`, behind `ProviderObject(json:)` and `ProviderValue.parse`)
/// replaced `JSONDecoder`: it must read every text as `JSONDecoder` read it, and refuse what it refused,
/// so that a sync skips and keeps the same items.
@Suite struct ProviderJSONTests {
    static let valid = [
        #"{}"#, #"[]"#, #"  {"a" : 1 , "b":[ ]}  "#, "\n\t{\"a\":\r\n\"b\"}\n",
        #"{"num":1,"name":"Silent River 1 (1950) 4K","stream_id":42,"rating":"7.5","rating_5based":3.75,"category_ids":[3,"4"],"tmdb":null,"adult":false,"ok":true}"#,
        #"{"n":[0,-0,-1,12,123456789012345,1234567890123456,12345678901234567890,1.5,-2.25e3,1E-2,6.02e+23,0.1,1e308]}"#,
        #"{"s":"\"\\\/\b\f\n\r\t","u":"\u00e9\u20AC\ud83c\udfac","raw":"é€🎬","empty":""}"#,
        #"{"nested":{"a":{"b":{"c":[[[{"d":null}]]]}}},"dup":1,"dup":2}"#,
        #""text""#, #"3.5"#, #"true"#, #"null"#, #"[1,"a",{"b":[]}]"#,
        // JSONDecoder's leniencies, kept: a trailing comma, the first of duplicate keys.
        #"{"a":1,}"#, #"[1, ]"#, #"{"a":[1,],"b":{"c":2 , }, }"#, #"{"dup":"first","dup":"second"}"#,
    ]
    static let invalid = [
        "", " ", "{", "}", #"{"a"}"#, #"{"a":}"#, #"[1 2]"#, #"{"a":1 "b":2}"#, #"{a:1}"#,
        #"{'a':1}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":-}"#, #"{"a":1e}"#, #"{"a":+1}"#, #"{"a":0x10}"#,
        #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":1e400}"#, #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":"x\q"}"#,
        #"{"a":"\u12"}"#, #"{"a":"\ud83c"}"#, #"{"a":"\udfac"}"#, "{\"a\":\"tab\there\"}", "{\"a\":\"x", #"{"a":1}x"#,
        #"{"a":1}{"#, #"[1]]"#, #"{"a":1,,}"#, #"[,]"#, #"{,}"#, #"[1,,2]"#,
    ]

    static func decoded(_ text: [UInt8]) -> ProviderValue? {
        try? JSONDecoder().decode(ProviderValue.self, from: Data(text))
    }

    @Test(arguments: valid)
    func readsValidTextAsJSONDecoderDid(_ text: String) throws {
        let expected = try #require(Self.decoded(Array(text.utf8)), "JSONDecoder reads \(text)")
        #expect(try ProviderValue.parse(text) == expected)
        if case .object(let fields) = expected {
            #expect(try ProviderObject(json: Array(text.utf8)).fields == fields)
        } else {
            #expect(throws: (any Error).self) { try ProviderObject(json: Array(text.utf8)) }
        }
    }

    @Test(arguments: invalid)
    func refusesWhatJSONDecoderRefused(_ text: String) {
        #expect(Self.decoded(Array(text.utf8)) == nil, "JSONDecoder refuses \(text)")
        #expect(throws: (any Error).self) { try ProviderValue.parse(text) }
        #expect(throws: (any Error).self) { try ProviderObject(json: Array(text.utf8)) }
    }

    @Test func refusesTextThatIsNotUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(Self.decoded(bytes) == nil)
        #expect(throws: (any Error).self) { try ProviderObject(json: bytes) }
    }

    @Test func refusesNestingDeeperThanJSONDecoder() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(Self.decoded(Array(deep.utf8)) == nil)
        #expect(throws: (any Error).self) { try ProviderValue.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try ProviderValue.parse(fine) == Self.decoded(Array(fine.utf8)))
    }
}
