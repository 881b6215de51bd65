import Foundation
import GRDB
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
        guard try await services.store.authenticate(username: query.username, password: query.password) != nil else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" + #"<tv generator-info-name="xcserver"></tv>"# + "\n"
        return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: xml)))
    }

    func playlist(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let query = await XCQuery.from(request, context: context)
        guard let login = try await services.store.authenticate(username: query.username, password: query.password) else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let user = login.user
        let base = ServerAddress.from(request, config: services.config).baseURL
        let credentials = "\(Self.pathEncode(user.username))/\(Self.pathEncode(user.password))"
        let store = services.store
        let scope = CatalogScope(login)
        return StreamedBody.response(for: request, contentType: "audio/x-mpegurl; charset=utf-8") { emit in
            try await emit(Array("#EXTM3U\n".utf8))
            try await Self.emitPaged(store: store, emit: emit, sql: """
                SELECT m.id, r.name, r.stream_icon, COALESCE(c.name, ''), m.public_id, r.container_extension
                FROM movie m JOIN movie_relation r ON r.id = m.preferred_relation_id LEFT JOIN category c ON c.id = COALESCE(r.category_id, json_extract(m.category_ids, '$[0]'))
                WHERE m.id > ?\(scope.titleFilter("m")) ORDER BY m.id LIMIT ?
                """) { row in
                Self.entry(name: row[1], logo: row[2], group: row[3], url: "\(base)/movie/\(credentials)/\(row[4] as Int64).\(row[5] as String)")
            }
            try await Self.emitPaged(store: store, emit: emit, sql: """
                SELECT e.id, sr.name, sr.cover, COALESCE(c.name, ''), e.public_id, r.container_extension, e.season, e.episode_num
                FROM episode e JOIN episode_relation r ON r.id = e.preferred_relation_id
                JOIN series s ON s.id = e.series_id JOIN series_relation sr ON sr.id = s.preferred_relation_id
                LEFT JOIN category c ON c.id = COALESCE(sr.category_id, json_extract(s.category_ids, '$[0]'))
                WHERE e.id > ?\(scope.titleFilter("s")) ORDER BY e.id LIMIT ?
                """) { row in
                let name = "\(row[1] as String) S\(Self.twoDigits(row[6]))E\(Self.twoDigits(row[7]))"
                return Self.entry(name: name, logo: row[2], group: row[3], url: "\(base)/series/\(credentials)/\(row[4] as Int64).\(row[5] as String)")
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

    private static func emitPaged(
        store: Store, emit: (consuming [UInt8]) async throws -> Void, sql: String,
        line: @escaping @Sendable (Row) -> String
    ) async throws {
        var after: Int64 = 0
        while true {
            let (text, last, count) = try await store.pool.read { [after] db in
                var text = ""
                var last = after
                var count = 0
                let rows = try Row.fetchCursor(db, sql: sql, arguments: [after, CatalogLists.batchSize])
                while let row = try rows.next() {
                    text += line(row)
                    last = row[0]
                    count += 1
                }
                return (text, last, count)
            }
            if !text.isEmpty { try await emit(Array(text.utf8)) }
            if count < CatalogLists.batchSize { return }
            after = last
        }
    }
}
