import Foundation
import GRDB
import NIOHTTP1
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// The admin token the admin API tests start their servers with.
let adminAPITestToken = "admin-api-test-token"

extension TestEnvironment {
    /// A synced fixture environment (alpha priority 10 with 1 connection, beta priority 5 with 2) whose
    /// admin API answers to `adminAPITestToken`.
    static func withAdminAPI<T>(
        sync: Bool = true, grace: Duration? = nil, _ body: (TestEnvironment) async throws -> T
    ) async throws -> T {
        var config = ServerConfig(adminToken: adminAPITestToken)
        if let grace { config.grace = grace }
        return try await with(sync: sync, config: config, body)
    }

    /// An admin API call with the test token (or the given one, or none), JSON body optional. Every
    /// answer is held to the OpenAPI document: a status or shape it does not describe is a test issue.
    func call(_ path: String, _ method: HTTPMethod = .GET, json: String? = nil, token: String? = adminAPITestToken,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if json != nil { headers.append(("Content-Type", "application/json")) }
        let reply = try await request(path, method: method, headers: headers, body: json)
        OpenAPIContract.shared.expectConforms(method: method, path: path, reply: reply, sourceLocation: sourceLocation)
        return reply
    }

    /// A call expected to answer `status`; returns the JSON body.
    func callJSON(_ path: String, _ method: HTTPMethod = .GET, json: String? = nil, expect status: Int = 200,
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProviderValue {
        let reply = try await call(path, method, json: json, sourceLocation: sourceLocation)
        #expect(reply.status == status, "\(method) \(path): \(reply.text)", sourceLocation: sourceLocation)
        guard reply.status == status else { throw TestFailure("\(method) \(path): HTTP \(reply.status): \(reply.text)") }
        return reply.body.isEmpty ? .null : try reply.json()
    }

    /// The XC API as another user (percent-encoded credentials).
    func xc(_ parameters: String, username: String, password: String) async throws -> ProviderValue {
        try await request(apiPath(parameters, username: username, password: password)).json()
    }

    func moviePath(_ id: Int64, username: String = userName, password: String = userPassword, ext: String = "mkv") -> String {
        "/movie/\(PlaylistController.pathEncode(username))/\(PlaylistController.pathEncode(password))/\(id).\(ext)"
    }

    func seriesPath(_ id: Int64, username: String = userName, password: String = userPassword, ext: String = "mkv") -> String {
        "/series/\(PlaylistController.pathEncode(username))/\(PlaylistController.pathEncode(password))/\(id).\(ext)"
    }

    /// Rows of `sql` counted directly in the database.
    func count(_ sql: String) async throws -> Int {
        try await store.testRead { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    /// The merged category id of `name`, or a test failure.
    func categoryID(_ kind: CatalogKind, _ name: String) async throws -> Int64 {
        guard let id = try await store.categoryID(kind: kind, name: name) else { throw TestFailure("no \(kind) category \(name)") }
        return id
    }
}

/// Reading admin JSON answers.
extension ProviderValue {
    subscript(_ key: String) -> ProviderValue { object?[key] ?? .null }
    subscript(_ index: Int) -> ProviderValue {
        guard let array, array.indices.contains(index) else { return .null }
        return array[index]
    }
    var items: [ProviderValue] { array ?? [] }
    var string: String? { text }
    var isNull: Bool { self == .null }
    /// The stream ids of an XC list answer.
    var streamIDs: Set<Int> { Set(items.compactMap { $0["stream_id"].int }) }
}

/// Checks the admin API's one error shape: `{"error": {"code", "message", "field"?}}` with that status.
func expectAPIError(
    _ reply: TestEnvironment.Reply, _ status: Int, code: String? = nil, field: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(reply.status == status, "expected \(status): \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    guard let body = try? reply.json(), let error = body["error"].object else {
        Issue.record("not the API error shape: \(reply.text)", sourceLocation: sourceLocation)
        return
    }
    #expect(body.object?.keys.sorted() == ["error"], sourceLocation: sourceLocation)
    #expect(error["message"]?.text?.isEmpty == false, sourceLocation: sourceLocation)
    if let code { #expect(error["code"]?.text == code, "\(reply.text)", sourceLocation: sourceLocation) }
    if let field { #expect(error["field"]?.text == field, "\(reply.text)", sourceLocation: sourceLocation) }
}
