import Foundation
import Hummingbird
import XCModels

/// `get.php` (an m3u_plus playlist of every movie and episode) and `xmltv.php` (the guide, empty until
/// live TV exists, but valid so clients that load it do not fail).
struct PlaylistController: Sendable {
    let services: AppServices

    func register(on router: Router<XCRequestContext>) {
        router.get("get.php") { request, context in try await playlist(request, context) }
        router.post("get.php") { request, context in try await playlist(request, context) }
        router.get("xmltv.php") { request, context in try await guide(request, context) }
        router.post("xmltv.php") { request, context in try await guide(request, context) }
    }

    func guide(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        guard try await services.authenticate(username: query.username, password: query.password).login != nil else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" + #"<tv generator-info-name="xcserver"></tv>"# + "\n"
        return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: xml)))
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
        return StreamedBody.response(for: request, contentType: "audio/x-mpegurl; charset=utf-8") { emit in
            try await emit(Array("#EXTM3U\n".utf8))
            try await Self.emitPaged(emit: emit) { after in
                try await store.playlistMoviePage(scope: scope, after: after, limit: CatalogLists.batchSize, into: "") { text, row, _ in
                    text += Self.entry(name: row.name, logo: row.logo, group: row.group,
                                       url: "\(base)/movie/\(credentials)/\(row.publicID).\(row.containerExtension)")
                }
            }
            try await Self.emitPaged(emit: emit) { after in
                try await store.playlistEpisodePage(scope: scope, after: after, limit: CatalogLists.batchSize, into: "") { text, row, _ in
                    let name = "\(row.seriesName) S\(Self.twoDigits(row.season))E\(Self.twoDigits(row.episodeNum))"
                    text += Self.entry(name: name, logo: row.logo, group: row.group,
                                       url: "\(base)/series/\(credentials)/\(row.publicID).\(row.containerExtension)")
                }
            }
        }
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
