import Foundation
import Hummingbird
import Sync
import XCModels

/// `get_short_epg`, `get_simple_data_table` and `xmltv.php`: the guide as clients read it.
///
/// Programmes come from the channel's guide source (its preferred relation's guide, else the next
/// relation with one; `Store.guideSourceColumns`). Titles and descriptions are base64 of UTF-8, as
/// panels send them; `start`/`end` are in the server's time zone (`server_info.timezone`), the
/// timestamps in UTC.
enum GuideAnswers {
    static let empty = Array(#"{"epg_listings":[]}"#.utf8)
    static let defaultShortLimit = 4

    /// `get_short_epg` (`full` false: from now on, at most `limit`) or `get_simple_data_table` (`full`:
    /// the whole held window, with `now_playing` and `has_archive`).
    static func listings(publicID: Int64?, limit: Int?, full: Bool, store: Store, scope: CatalogScope, zone: TimeZone,
                         now: Int64 = Int64(Date().timeIntervalSince1970)) async throws -> [UInt8] {
        guard let publicID,
              let (channel, programmes) = try await store.guideListing(
                publicID: publicID, scope: scope, from: full ? .min : now, limit: full ? .max : max(1, limit ?? defaultShortLimit)),
              channel.source != nil else { return empty }
        let archiveDays = full ? try await store.channelCandidates(publicID: publicID, scope: scope)
            .filter(\.tvArchive).map(\.tvArchiveDuration).max() : nil
        var json = JSONWriter(capacity: 256 + programmes.count * 400)
        json.beginObject()
        json.key("epg_listings")
        json.beginArray()
        for p in programmes {
            json.beginObject()
            json.member("id", String(p.start))
            json.member("epg_id", String(publicID))
            json.member("title", Data(p.title.utf8).base64EncodedString())
            json.member("lang", p.lang)
            json.member("start", CivilTime.text(p.start, in: zone))
            json.member("end", CivilTime.text(p.stop, in: zone))
            json.member("description", Data(p.description.utf8).base64EncodedString())
            json.member("channel_id", channel.epgChannelID)
            json.member("start_timestamp", String(p.start))
            json.member("stop_timestamp", String(p.stop))
            if full {
                json.member("now_playing", p.start <= now && now < p.stop ? 1 : 0)
                let archived = archiveDays.map { p.stop <= now && p.start >= now - Int64($0) * 86400 } ?? false
                json.member("has_archive", archived ? 1 : 0)
            }
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    /// The XMLTV document of the channels `scope` may see: every `<channel>` first (the DTD's order),
    /// then each channel's programmes, page by page; a guide id several entries share is listed once.
    static func xmltv(store: Store, scope: CatalogScope) -> StreamedBody.Producer {
        { emit in
            try await emit(Array(#"<?xml version="1.0" encoding="UTF-8"?>\#n<tv generator-info-name="xcserver">\#n"#.utf8))
            var listed = Set<String>()
            try await eachPage(store: store, scope: scope) { rows in
                var text = ""
                for row in rows where listed.insert(row.epgChannelID).inserted {
                    let id = XMLText.escape(row.epgChannelID)
                    text += "<channel id=\"\(id)\"><display-name>\(XMLText.escape(row.name))</display-name>"
                    if !row.icon.isEmpty { text += "<icon src=\"\(XMLText.escape(row.icon))\"/>" }
                    text += "</channel>\n"
                }
                if !text.isEmpty { try await emit(Array(text.utf8)) }
            }
            var written = Set<String>()
            try await eachPage(store: store, scope: scope) { rows in
                for row in rows where written.insert(row.epgChannelID).inserted {
                    guard let source = row.source else { continue }
                    let id = XMLText.escape(row.epgChannelID)
                    var text = ""
                    for p in try await store.programmes(source, from: .min) {
                        text += "<programme start=\"\(CivilTime.xmltv(p.start))\" stop=\"\(CivilTime.xmltv(p.stop))\" channel=\"\(id)\">"
                        text += p.lang.isEmpty ? "<title>" : "<title lang=\"\(XMLText.escape(p.lang))\">"
                        text += XMLText.escape(p.title) + "</title>"
                        if !p.description.isEmpty { text += "<desc>\(XMLText.escape(p.description))</desc>" }
                        text += "</programme>\n"
                    }
                    if !text.isEmpty { try await emit(Array(text.utf8)) }
                }
            }
            try await emit(Array("</tv>\n".utf8))
        }
    }

    private static func eachPage(store: Store, scope: CatalogScope, _ body: ([GuideChannelRow]) async throws -> Void) async throws {
        var after: Int64 = 0
        while true {
            let page = try await store.guideChannelPage(scope: scope, after: after, limit: CatalogLists.batchSize, into: [GuideChannelRow]()) { list, row, _ in
                list.append(row)
            }
            try await body(page.output)
            if page.count < CatalogLists.batchSize { return }
            after = page.last
        }
    }
}
