import Foundation
import Hummingbird
import Sync
import XCModels

/// `get.php` (an m3u_plus playlist of every channel, movie and episode) and `xmltv.php` (the guide of
/// the channels the login may see; valid and empty when no guide is held).
struct PlaylistController: RouteGroup {
    let services: AppServices

    func register(on router: some RouterMethods<XCRequestContext>) {
        router.get("get.php") { request, context in try await playlist(request, context) }
        router.post("get.php") { request, context in try await playlist(request, context) }
        router.get("xmltv.php") { request, context in try await guide(request, context) }
        router.post("xmltv.php") { request, context in try await guide(request, context) }
    }

    func guide(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        guard let login = try await services.authenticate(username: query.username, password: query.password).login else {
            return .text("wrong username or password", status: .unauthorized)
        }
        return StreamedBody.response(for: request, contentType: "application/xml; charset=utf-8",
                                     producer: GuideAnswers.xmltv(store: services.store, scope: CatalogScope(login)))
    }

    func playlist(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        guard let login = try await services.authenticate(username: query.username, password: query.password).login else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let user = login.user
        let base = ServerAddress.from(request, config: services.config).baseURL
        let credentials = "\(Self.pathEncode(user.username))/\(Self.pathEncode(user.password))"
        let store = services.store
        let scope = CatalogScope(login)
        let liveExtension = query["output"] == "m3u8" || query["output"] == "hls" ? "m3u8" : "ts"
        return StreamedBody.response(for: request, contentType: "audio/x-mpegurl; charset=utf-8") { emit in
            let guide = "\(base)/xmltv.php?username=\(ProviderClient.percentEncode(user.username))&password=\(ProviderClient.percentEncode(user.password))"
            try await emit(Array("#EXTM3U url-tvg=\"\(Self.attribute(guide))\" x-tvg-url=\"\(Self.attribute(guide))\"\n".utf8))
            // Live channels first, in the served order (users zap by number).
            try await Self.emitPaged(emit: emit) { after in
                try await store.liveListPage(scope: scope, category: nil, after: after, limit: CatalogLists.batchSize, into: "") { text, row, _ in
                    text += Self.liveEntry(row, url: "\(base)/live/\(credentials)/\(row.publicID).\(liveExtension)")
                }
            }
            for (kind, path) in [(PlayableKind.movie, "movie"), (.episode, "series")] {
                try await Self.emitPaged(emit: emit) { after in
                    try await store.playlistPage(kind, scope: scope, after: after, limit: CatalogLists.batchSize, into: "") { text, row, _ in
                        var name = row.name
                        if let season = row.season, let number = row.episodeNum { name += " S\(Self.twoDigits(season))E\(Self.twoDigits(number))" }
                        text += Self.entry(name: name, logo: row.logo, group: row.group,
                                           url: "\(base)/\(path)/\(credentials)/\(row.publicID).\(row.containerExtension)")
                    }
                }
            }
        }
    }

    /// A channel's `#EXTINF`, with its guide id and, for an archive channel, `catchup="xc"` and its days.
    private static func liveEntry(_ row: LiveListRow, url: String) -> String {
        var attributes = "tvg-id=\"\(attribute(row.epgChannelID))\" tvg-name=\"\(attribute(row.name))\" tvg-logo=\"\(attribute(row.streamIcon))\""
        attributes += " group-title=\"\(attribute(row.group))\""
        if row.tvArchive != 0 { attributes += " catchup=\"xc\" catchup-days=\"\(row.tvArchiveDuration)\"" }
        return "#EXTINF:-1 \(attributes),\(row.name.replacingOccurrences(of: "\n", with: " "))\n\(url)\n"
    }

    private static func entry(name: String, logo: String, group: String, url: String) -> String {
        "#EXTINF:-1 tvg-id=\"\" tvg-name=\"\(attribute(name))\" tvg-logo=\"\(attribute(logo))\" group-title=\"\(attribute(group))\",\(name.replacingOccurrences(of: "\n", with: " "))\n\(url)\n"
    }

    private static func attribute(_ value: String) -> String {
        value.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ")
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    private static let pathAllowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func pathEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? value
    }

    /// Emits the playlist lines of every page `page(after)` reads, until a short page.
    private static func emitPaged(
        emit: (consuming [UInt8]) async throws -> Void, page: (Int64) async throws -> ListPage<String>
    ) async throws {
        var after: Int64 = 0
        while true {
            let result = try await page(after)
            if !result.output.isEmpty { try await emit(Array(result.output.utf8)) }
            if result.count < CatalogLists.batchSize { return }
            after = result.last
        }
    }
}
