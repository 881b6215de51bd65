import Foundation
import Testing
import XCModels

/// `JSONWriter` copies the runs between characters it escapes and writes numbers digit by digit: what
/// it writes must still parse back to exactly what it was given.
@Suite struct JSONWriterTests {
    static let strings = [
        "", "plain", "UK: BBC One HD", "\"", "\\", "a\"b\\c", "\"quoted at both ends\"", "line\nbreak\r\ttab",
        "\u{01}control\u{1F}", "ünïcødé 日本 🎬", "\u{7F}del", "end\\",
    ]
    static let numbers: [Int64] = [0, 7, -7, 10, 99, 100, 1_700_000_000, -1_700_000_000, .max, .min]

    @Test func stringsAndNumbersParseBackUnchanged() throws {
        var json = JSONWriter()
        json.beginArray()
        for string in Self.strings { json.string(string) }
        for number in Self.numbers { json.int(number) }
        json.endArray()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [Any])
        #expect(parsed.prefix(Self.strings.count).compactMap { $0 as? String } == Self.strings)
        #expect(parsed.dropFirst(Self.strings.count).compactMap { ($0 as? NSNumber)?.int64Value } == Self.numbers)
        let text = String(decoding: json.bytes, as: UTF8.self)
        #expect(text.contains(#""line\nbreak\r\ttab""#), "the short escapes")
        #expect(text.contains(#""\u0001control\u001f""#), "other control characters as \\u00XX")
        #expect(text.hasSuffix(#",9223372036854775807,-9223372036854775808]"#))
    }
}
