import Foundation
import XCModels

/// `get_live_categories` and `get_live_streams`: the spec's field set, never `null`, in the providers'
/// order (docs/live.md), streamed page by page like the film lists.
extension CatalogLists {
    static func liveCategories(store: Store, scope: CatalogScope) async throws -> [UInt8] {
        categoryList(try await store.liveCategories(scope: scope))
    }

    static func liveStreams(store: Store, categoryID: Int64?, scope: CatalogScope) -> StreamedBody.Producer {
        objects({ after, json, add in
            try await store.liveListPage(scope: scope, category: categoryID, after: after, limit: batchSize, into: json, add)
        }) { json, row in
            json.member("name", row.name)
            json.member("stream_type", "live")
            json.member("stream_id", row.publicID)
            json.member("stream_icon", row.streamIcon)
            json.member("epg_channel_id", row.epgChannelID)
            writeListingFields(&json, added: row.added, firstSeen: row.firstSeen, isAdult: row.isAdult, categoryID: row.categoryID,
                               categoryIDs: row.categoryIDs)
            json.member("custom_sid", "")
            json.member("tv_archive", row.tvArchive)
            json.member("direct_source", "")
            json.member("tv_archive_duration", row.tvArchiveDuration)
        }
    }
}
