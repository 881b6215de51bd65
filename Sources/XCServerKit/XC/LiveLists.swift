import Foundation
import XCModels

/// `get_live_categories` and `get_live_streams`: the spec's field set, never `null`, in the providers'
/// order (docs/live.md), streamed page by page like the film lists.
extension CatalogLists {
    static func liveCategories(store: Store, scope: CatalogScope) async throws -> [UInt8] {
        categoryList(try await store.liveCategories(scope: scope))
    }

    /// Written from the database's bytes (`LiveListRowView`) in precomposed runs: the constant JSON
    /// between two values in one append, no `String` per value (docs/live.md, "get_live_streams
    /// speed"). The same bytes as the member-by-member form of the film lists (`LiveStreamsBytesTests`).
    static func liveStreams(store: Store, categoryID: Int64?, scope: CatalogScope) -> StreamedBody.Producer {
        objects({ after, json, add in
            try await store.liveListViewPage(scope: scope, category: categoryID, after: after, limit: batchSize, into: json, add)
        }) { json, row in
            json.verbatim(#","name":""#)
            json.escaped(row.name)
            json.verbatim(#"","stream_type":"live","stream_id":"#)
            json.digits(row.publicID)
            json.verbatim(#","stream_icon":""#)
            json.escaped(row.streamIcon)
            json.verbatim(#"","epg_channel_id":""#)
            json.escaped(row.epgChannelID)
            json.verbatim(#"","added":""#)
            wholeNumber(&json, row.added, else: row.firstSeen)
            json.verbatim(#"","is_adult":""#)
            wholeNumber(&json, row.isAdult, else: 0)
            json.verbatim(#"","category_id":""#)
            json.digits(row.categoryID ?? WireFields.noCategory)
            json.verbatim(#"","category_ids":"#)
            json.verbatim(text: row.categoryIDs)
            json.verbatim(#","custom_sid":"","tv_archive":"#)
            json.digits(row.tvArchive)
            json.verbatim(#","direct_source":"","tv_archive_duration":"#)
            json.digits(row.tvArchiveDuration)
        }
    }

    /// `WireFields.integer(text, else: fallback)` inside quotes: the bytes themselves when they are a
    /// whole number (the usual case), else through the `String` rule (digits too: no escaping).
    private static func wholeNumber(_ json: inout JSONWriter, _ text: UnsafeBufferPointer<UInt8>, else fallback: Int64) {
        if !text.isEmpty, text.allSatisfy({ (48...57).contains($0) }) {
            json.verbatim(text: text)
        } else {
            var number = WireFields.integer(String(decoding: text, as: UTF8.self), else: fallback)
            number.withUTF8 { json.verbatim(text: $0) }
        }
    }
}
