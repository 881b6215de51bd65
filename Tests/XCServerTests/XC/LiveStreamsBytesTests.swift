import Foundation
import GRDB
import Sync
import Testing
@testable import XCModels
@testable import XCServerKit

/// `get_live_streams` is written from SQLite's bytes in precomposed runs (`CatalogLists.liveStreams`,
/// `LiveListRowView`): it must write byte for byte what the member-by-member writer of `LiveListRow`
/// strings writes (the renderer before it, kept here as the reference), awkward text included.
@Suite struct LiveStreamsBytesTests {
    /// Channels whose text the escaping and the whole-number fields must get right, added to alpha's list.
    static func awkwardItems() -> [ProviderValue] {
        func item(_ id: Int, _ fields: [String: ProviderValue]) -> ProviderValue {
            .object(fields.merging(["stream_id": .number(Double(id)), "stream_type": .string("live")]) { old, _ in old })
        }
        return [
            item(3901, ["name": .string(#"Quote "A" \ back\slash \\"#), "stream_icon": .string(#"http://img.example/a\"b.png"#),
                        "epg_channel_id": .string("quote.uk"), "added": .string("1700000001"), "is_adult": .string("0"),
                        "category_id": .string("101"), "category_ids": .array([.number(101)])]),
            item(3902, ["name": .string("\u{01}ctl\u{1F} line\nbreak\r\ttab \u{7F}del"), "epg_channel_id": .string("ctl\t.uk"),
                        "added": .string(" 1700000002 "), "is_adult": .string("true"), "category_id": .string("101")]),
            item(3903, ["name": .string("ünïcødé 日本 🎬 ᴴᴰ"), "stream_icon": .string("http://img.example/日本.png"),
                        "epg_channel_id": .string("ünï.jp"), "added": .string("2024-01-01"), "is_adult": .string("")]),
            item(3904, ["name": .string(""), "stream_icon": .string(""), "epg_channel_id": .string("empty.uk"), "added": .string(""),
                        "is_adult": .null, "category_id": .null]),
            item(3905, ["name": .string("Only a name")]),
            item(3906, ["name": .string("Numbers as numbers"), "epg_channel_id": .string("num.uk"), "added": .number(1_700_000_003),
                        "is_adult": .number(1), "category_id": .number(101), "tv_archive": .number(1), "tv_archive_duration": .number(9)]),
        ]
    }

    @Test func theListIsByteForByteWhatTheMemberWriterWritesOfItsRows() async throws {
        try await TestEnvironment.with { env in
            try env.provider.editList("alpha", file: "get_live_streams.json") { $0 + Self.awkwardItems() }
            let report = try await env.services.sync.run()
            #expect(!report.failed, "\(report.text)")
            let sports = try #require(try await env.store.categoryID(kind: .live, name: "Sports"))
            let first = try #require(try await env.api("action=get_live_categories").items.first?["category_id"].string.flatMap { Int64($0) })
            // What no provider's JSON brings but a column may hold: a NUL (a `String` of the column ends
            // there), invalid UTF-8 (repaired), spaces outside ASCII around a number.
            try await Self.set(env.store, [
                ("name", "4E554C00616674657220697420676F6E65", 0), ("is_adult", "3100", 0),
                ("epg_channel_id", "626164FF20C328E08080EDA080F4908080222E756B", 1),
                ("stream_icon", "687474703A2F2F696D672E6578616D706C652FE697", 2), ("added", "C2A031373030303030303034C2A0", 3),
            ])
            let rows = try await Self.reference(env.store, category: nil, scope: .everything)
            let text = String(decoding: rows, as: UTF8.self)
            #expect(text.contains(#""name":"Quote \"A\" \\ back\\slash \\\\""#), "quotes and backslashes escaped")
            #expect(text.contains(#""name":"\u0001ctl\u001f line\nbreak\r\ttab \#u{7F}del""#), "control characters escaped")
            #expect(text.contains(#""name":"NUL""#), "the arranged NUL reached the reference")
            #expect(text.contains("\u{FFFD}"), "the arranged invalid UTF-8 reached the reference, repaired")

            for (category, scope) in [(nil, CatalogScope.everything), (first, .everything), (sports, .everything),
                                      (nil, CatalogScope(allowedCategories: [first, sports], hideAdult: true))] {
                let expected = try await Self.reference(env.store, category: category, scope: scope)
                let written = try await Self.collect(CatalogLists.liveStreams(store: env.store, categoryID: category, scope: scope))
                #expect(written.count > 2, "the list of category \(String(describing: category)) is not empty")
                #expect(Self.firstDifference(written, expected) == nil, "category \(String(describing: category)), \(scope)")
            }
            // A stored category array after a NUL, or with invalid UTF-8: malformed for SQLite's JSON
            // functions, so only the whole list (no category filter) reads it.
            try await Self.set(env.store, [("category_ids", "5B3130315D005B", 0), ("category_ids", "5B3130312CFF5D", 3)])
            let whole = try await Self.reference(env.store, category: nil, scope: .everything)
            #expect(String(decoding: whole, as: UTF8.self).contains(#""category_ids":[101],"#), "the arranged NUL reached the reference")
            let written = try await Self.collect(CatalogLists.liveStreams(store: env.store, categoryID: nil, scope: .everything))
            #expect(Self.firstDifference(written, whole) == nil, "stored arrays")
            let served = try await env.request(env.apiPath("action=get_live_streams"))
            #expect(Self.firstDifference(served.body, whole) == nil, "over HTTP")
        }
    }

    /// `JSONWriter.isValidUTF8` says what the standard library's decoding keeps: every byte pair, the
    /// edges of the three- and four-byte forms, and seeded random runs.
    @Test func theUTF8CheckAgreesWithTheStandardLibrary() {
        var samples: [[UInt8]] = []
        for first in 0...255 {
            for second in stride(from: 0, through: 255, by: 1) { samples.append([UInt8(first), UInt8(second)]) }
        }
        for lead: UInt8 in [0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5] {
            for second: UInt8 in [0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0] {
                for third: UInt8 in [0x7F, 0x80, 0xBF, 0xC0] {
                    samples.append([lead, second, third])
                    samples.append([lead, second, third, 0x80])
                    samples.append([lead, second, third, 0xC0])
                }
            }
        }
        var random = SplitMix64(seed: 0x1512)
        for _ in 0..<20_000 {
            samples.append((0..<random.int(1..<12)).map { _ in random.chance(0.6) ? UInt8(random.int(0x80..<0x100)) : UInt8(random.int(0..<0x80)) })
        }
        var disagreements: [[UInt8]] = []
        for sample in samples {
            let mine = sample.withUnsafeBufferPointer { JSONWriter.isValidUTF8($0) }
            if mine != (String(validating: sample, as: UTF8.self) != nil) { disagreements.append(sample) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    /// Sets `column` of the served channels at these places in served order to the text of these bytes
    /// (hex), as is: no store operation writes such text.
    static func set(_ store: Store, _ changes: [(column: String, hex: String, place: Int)]) async throws {
        try await store.pool.write { db in
            for change in changes {
                try db.execute(sql: """
                    UPDATE channel SET \(change.column) = CAST(X'\(change.hex)' AS TEXT) WHERE id = (SELECT id FROM channel
                        WHERE preferred_relation_id IS NOT NULL ORDER BY position LIMIT 1 OFFSET \(change.place))
                    """)
            }
        }
    }

    /// The renderer before `LiveListRowView`: each field from its `LiveListRow` string, member by member.
    static func reference(_ store: Store, category: Int64?, scope: CatalogScope) async throws -> [UInt8] {
        var start = JSONWriter()
        start.beginArray()
        var page = try await store.liveListPage(scope: scope, category: category, after: 0, limit: 1_000_000, into: start) { json, row, n in
            json.beginObject()
            json.member("num", n)
            json.member("name", row.name)
            json.member("stream_type", "live")
            json.member("stream_id", row.publicID)
            json.member("stream_icon", row.streamIcon)
            json.member("epg_channel_id", row.epgChannelID)
            CatalogLists.writeListingFields(&json, added: row.added, firstSeen: row.firstSeen, isAdult: row.isAdult,
                                            categoryID: row.categoryID, categoryIDs: row.categoryIDs)
            json.member("custom_sid", "")
            json.member("tv_archive", row.tvArchive)
            json.member("direct_source", "")
            json.member("tv_archive_duration", row.tvArchiveDuration)
            json.endObject()
        }
        page.output.endArray()
        return page.output.bytes
    }

    static func collect(_ producer: StreamedBody.Producer) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await producer { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }

    /// nil when equal, else the two texts from shortly before where they part.
    static func firstDifference(_ written: [UInt8], _ expected: [UInt8]) -> String? {
        guard written != expected else { return nil }
        let at = written.indices.first { $0 < expected.count && written[$0] != expected[$0] } ?? min(written.count, expected.count)
        let from = max(0, at - 80)
        return "at byte \(at) of \(written.count) / \(expected.count): written …\(String(decoding: written[from..<min(written.count, at + 80)], as: UTF8.self))… "
            + "expected …\(String(decoding: expected[from..<min(expected.count, at + 80)], as: UTF8.self))…"
    }
}
