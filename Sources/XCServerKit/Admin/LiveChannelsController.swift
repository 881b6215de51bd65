import Foundation
import Hummingbird
import XCModels

/// Live channels, for curl and scripts:
///
/// - `GET /api/live/channels?category=&q=&page=&per_page=` → `{"items": [Channel], "page", "per_page",
///   "total"}`: served channels in the order clients get them. `category`: a merged live category id;
///   `q`: case-insensitive substring of the shown name; `page` ≥ 1, `per_page` 1–500 (default 50).
/// - `GET /api/live/channels/{id}` → `{"channel": Channel + "relations": [Relation], "programmes":
///   [{"start", "stop", "title", "description"}]}`: the accounts' streams of it in admission order and the
///   next programmes of its guide (at most 10, from now; times in UTC seconds).
///
/// A `Channel` is `{"id", "name", "epg_channel_id", "category_ids", "icon", "num", "tv_archive",
/// "tv_archive_duration", "account": {"id", "name", "priority", "enabled"}, "relations": N}`; a `Relation`
/// `{"id", "account", "stream_id", "num", "name", "epg_channel_id", "tv_archive", "tv_archive_duration",
/// "category_ids", "stale", "served"}`.
struct LiveChannelsController: RouteGroup {
    let services: AppServices

    struct Detail: Encodable {
        struct Channel: Encodable {
            var channel: AdminChannel
            var relations: [AdminChannelRelation]

            func encode(to encoder: any Encoder) throws {
                try channel.encode(to: encoder)
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(relations, forKey: Key(stringValue: "relations")!)
            }
        }

        var channel: Channel
        /// The next programmes of the channel's guide.
        var programmes: [Programme]
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("live/channels") { request, _ in
            try AdminJSON.response(try await services.store.adminChannels(
                categoryID: try AdminInput.intQuery(request, "category").map(Int64.init), text: AdminInput.query(request, "q"),
                page: try AdminInput.intQuery(request, "page", in: 1...1_000_000) ?? 1,
                perPage: try AdminInput.intQuery(request, "per_page", in: CatalogController.perPageRange) ?? CatalogController.defaultPerPage))
        }
        api.get("live/channels/:id") { _, context in
            let id = try AdminInput.pathID(context, "id", what: "channel")
            let store = services.store
            guard let (channel, relations) = try await store.adminChannel(publicID: id) else {
                throw APIError.notFound("no channel with id \(id)")
            }
            var programmes: [Programme] = []
            if let source = try await store.guideChannel(publicID: id, scope: .everything)?.source {
                programmes = try await store.programmes(source, from: Int64(Date().timeIntervalSince1970), limit: 10)
            }
            return try AdminJSON.response(Detail(channel: .init(channel: channel, relations: relations), programmes: programmes))
        }
    }
}
