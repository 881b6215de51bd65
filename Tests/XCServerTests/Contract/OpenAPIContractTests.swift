import Foundation
import NIOHTTP1
import Sync
import Testing
import FixtureProvider
@testable import XCServerKit

/// The admin API against its OpenAPI document (`Sources/XCServerKit/Admin/openapi.json`): the document
/// is served, well formed and names exactly the routes the router has; a tour over real HTTP makes
/// every documented status of every operation happen (401 aside: `AdminAuthRoutesTests` covers it for
/// every route) and holds each answer, and each request body sent, to the document.
@Suite struct OpenAPIContractTests {
    let contract = OpenAPIContract.shared

    @Test func theDocumentIsServedBehindTheToken() async throws {
        try await TestEnvironment.withAdmin { env in
            let reply = try await env.admin("/api/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            let served = try reply.json()
            #expect(served == contract.document)
            #expect(served["openapi"].string?.hasPrefix("3.1") == true)
            #expect(served["components"]["securitySchemes"]["bearer"]["scheme"].string == "bearer")
            expectAPIError(try await env.admin("/api/openapi.json", token: nil), 401, code: "unauthorized")
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        try await TestEnvironment.withAdmin { env in
            let routed = Set(buildRouter(services: env.services).routes
                .filter { $0.path.description.hasPrefix("/api/") }
                .map { OpenAPIContract.Operation(method: $0.method.rawValue, path: $0.path.description) })
            #expect(routed.count >= 25, "the admin routes were listed: \(routed.sorted())")
            #expect(routed.subtracting(contract.operations).sorted() == [], "routes the document leaves out")
            #expect(contract.operations.subtracting(routed).sorted() == [], "documented operations no route answers")
        }
    }

    @Test func theDocumentIsWellFormed() throws {
        var problems: [String] = []
        let document = contract.document
        #expect(contract.parseError == nil)
        #expect(document["openapi"].string == "3.1.0")
        for (name, schema) in document["components"]["schemas"].object ?? [:] {
            problems += schemaProblems(schema, at: "#/components/schemas/\(name)")
        }
        for operation in contract.operations.sorted() {
            let body = try #require(contract.operation(operation))
            if body["summary"].string?.isEmpty != false { problems.append("\(operation): no summary") }
            let statuses = contract.statuses(of: operation)
            if !statuses.contains(401) { problems.append("\(operation): 401 not documented") }
            if !statuses.contains(where: { (200..<300).contains($0) }) { problems.append("\(operation): no success status") }
            for (status, response) in body["responses"].object ?? [:] {
                var resolved = response
                if let ref = response["$ref"].string {
                    guard let target = contract.validator.resolve(ref) else { problems.append("\(operation) \(status): unresolvable \(ref)"); continue }
                    resolved = target
                }
                if resolved["description"].string == nil { problems.append("\(operation) \(status): no description") }
                let schema = resolved["content"]["application/json"]["schema"]
                if schema != .null { problems += schemaProblems(schema, at: "\(operation) \(status)") }
            }
            let declared = Set(body["parameters"].items.filter { $0["in"].string == "path" }.compactMap { $0["name"].string })
            let templated = Set(operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            if declared != templated { problems.append("\(operation): path parameters \(declared.sorted()) ≠ template \(templated.sorted())") }
            for parameter in body["parameters"].items { problems += schemaProblems(parameter["schema"], at: "\(operation) parameter") }
            let request = body["requestBody"]["content"]["application/json"]["schema"]
            if request != .null { problems += schemaProblems(request, at: "\(operation) request body") }
        }
        #expect(problems == [])
    }

    /// Proof the check can fail: real answers, altered the way a regression would alter them, are refused.
    @Test func theContractRefusesAnswersThatStrayFromIt() async throws {
        try await TestEnvironment.withAdmin { env in
            let path = "/api/accounts/alpha"
            let reply = try await env.admin(path)
            #expect(contract.problems(method: .GET, path: path, reply: reply) == [])
            var account = try #require(try reply.json()["account"].object)
            func altered(_ change: (inout [String: ProviderValue]) -> Void) -> TestEnvironment.Reply {
                var fields = account
                change(&fields)
                var copy = reply
                copy.body = Array(ProviderValue.object(["account": .object(fields)]).jsonText.utf8)
                return copy
            }
            let leaked = contract.problems(method: .GET, path: path, reply: altered { $0["password"] = .string("secret") })
            #expect(leaked.contains { $0.contains("$.account.password") }, "\(leaked)")
            let missing = contract.problems(method: .GET, path: path, reply: altered { $0["load"] = nil })
            #expect(missing.contains { $0.contains("missing required load") }, "\(missing)")
            let extra = contract.problems(method: .GET, path: path, reply: altered { $0["internal_id"] = .number(1) })
            #expect(extra.contains { $0.contains("unexpected property internal_id") }, "\(extra)")
            let nulled = contract.problems(method: .GET, path: path, reply: altered { $0["name"] = .null })
            #expect(nulled.contains { $0.contains("$.account.name: expected string") }, "\(nulled)")
            account["priority"] = .string("10")
            #expect(contract.problems(method: .GET, path: path, reply: altered { $0 = account }).count == 1)

            var undocumented = reply
            undocumented.status = 418
            #expect(contract.problems(method: .GET, path: path, reply: undocumented).first?.contains("not documented") == true)
            #expect(contract.problems(method: .PUT, path: path, reply: reply).first?.contains("not an operation") == true)
        }
    }

    @Test func aTourMakesEveryDocumentedStatusHappen() async throws {
        try await TestEnvironment.withAdmin(sync: true) { env in
            var seen: [OpenAPIContract.Operation: Set<Int>] = [:]
            var bodyProblems: [String] = []
            /// One call, expected to answer `status`; its (operation, status) is marked as seen.
            @discardableResult
            func hit(_ method: HTTPMethod, _ path: String, _ json: String?, _ status: Int,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestEnvironment.Reply {
                let reply = try await env.admin(path, method: method, json: json, sourceLocation: sourceLocation)
                #expect(reply.status == status, "\(method) \(path): \(reply.text)", sourceLocation: sourceLocation)
                guard let template = contract.template(for: path) else {
                    Issue.record("\(path) is under no documented path", sourceLocation: sourceLocation)
                    return reply
                }
                let operation = OpenAPIContract.Operation(method: method.rawValue, path: template)
                seen[operation, default: []].insert(reply.status)
                // A body the server accepted must be one the document allows.
                if let json, (200..<300).contains(reply.status) {
                    let schema = contract.operation(operation)?["requestBody"]["content"]["application/json"]["schema"] ?? .null
                    if schema == .null {
                        bodyProblems.append("\(operation): accepted a body the document does not describe")
                    } else {
                        bodyProblems += contract.validator.violations(of: try ProviderValue.parse(json), against: schema).map { "\(operation) request: \($0)" }
                    }
                }
                return reply
            }

            try await hit(.GET, "/api/openapi.json", nil, 200)

            // Accounts. gamma points at a port nobody listens on.
            try await hit(.GET, "/api/accounts", nil, 200)
            try await hit(.POST, "/api/accounts", #"{"name":"gamma","url":"http://127.0.0.1:1","username":"g","password":"g","max_connections":1,"priority":1,"enabled":true,"user_agent":null}"#, 201)
            try await hit(.POST, "/api/accounts", #"{"name":"gamma","url":"http://127.0.0.1:1","username":"g","password":"g"}"#, 409)
            try await hit(.POST, "/api/accounts", #"{"name":"delta","url":"ftp://x","username":"g","password":"g"}"#, 400)
            try await hit(.GET, "/api/accounts/gamma", nil, 200)
            try await hit(.GET, "/api/accounts/nope", nil, 404)
            try await hit(.PATCH, "/api/accounts/gamma", #"{"priority":2,"user_agent":"Tour/1"}"#, 200)
            try await hit(.PATCH, "/api/accounts/gamma", #"{"max_connections":0}"#, 400)
            try await hit(.PATCH, "/api/accounts/nope", #"{"priority":2}"#, 404)
            try await hit(.PATCH, "/api/accounts/gamma", #"{"name":"alpha"}"#, 409)
            try await hit(.POST, "/api/accounts/alpha/test", nil, 200)
            // Nothing listens on gamma's port: refused at once, not retried until the 15 s test timeout.
            let refusedAt = ContinuousClock.now
            try await hit(.POST, "/api/accounts/gamma/test", nil, 502)
            #expect(refusedAt.duration(to: .now) < .seconds(5), "a refused connection is not retried until the timeout")
            try await hit(.POST, "/api/accounts/nope/test", nil, 404)
            // The same test for an account not saved (the web page shows it before saving); nothing is written.
            let trial = #"{"name":"trial","url":"\#(env.provider.baseURL)","username":"alpha","password":"\#(FixtureAccount.alphaPassword)"}"#
            let tested = try await hit(.POST, "/api/accounts/test", trial, 200)
            let testedJSON = try tested.json()
            #expect(testedJSON["status"].string == "Active" && testedJSON["account"]["id"].isNull, "\(tested.text)")
            try await hit(.POST, "/api/accounts/test", #"{"name":"trial","url":"ftp://x","username":"g","password":"g"}"#, 400)
            try await hit(.POST, "/api/accounts/test", #"{"name":"trial","url":"http://127.0.0.1:1","username":"g","password":"g"}"#, 502)
            try await hit(.GET, "/api/accounts/trial", nil, 404)

            // Users.
            try await hit(.GET, "/api/users", nil, 200)
            try await hit(.POST, "/api/users", #"{"username":"tour","password":"pw","max_connections":2,"enabled":true,"expires_at":null,"allowed_categories":[]}"#, 201)
            try await hit(.POST, "/api/users", #"{"username":"tour","password":"pw"}"#, 409)
            try await hit(.POST, "/api/users", #"{"password":"pw"}"#, 400)
            try await hit(.GET, "/api/users/tour", nil, 200)
            try await hit(.GET, "/api/users/nope", nil, 404)
            try await hit(.PATCH, "/api/users/tour", #"{"max_connections":3,"expires_at":4102444800}"#, 200)
            try await hit(.PATCH, "/api/users/tour", #"{"expires_at":-1}"#, 400)
            try await hit(.PATCH, "/api/users/nope", #"{"enabled":false}"#, 404)
            try await hit(.PATCH, "/api/users/tour", #"{"username":"family"}"#, 409)
            try await hit(.DELETE, "/api/users/tour", nil, 204)
            try await hit(.DELETE, "/api/users/tour", nil, 404)

            // Categories.
            let action = try await env.categoryID(.movie, "Action")
            try await hit(.GET, "/api/categories", nil, 200)
            try await hit(.GET, "/api/categories?kind=film", nil, 400)
            try await hit(.GET, "/api/categories/\(action)", nil, 200)
            try await hit(.GET, "/api/categories/999999", nil, 404)
            try await hit(.PATCH, "/api/categories/\(action)/accounts/alpha", #"{"enabled":true}"#, 200)
            try await hit(.PATCH, "/api/categories/\(action)/accounts/alpha", #"{"enabled":"no"}"#, 400)
            try await hit(.PATCH, "/api/categories/\(action)/accounts/gamma", #"{"enabled":false}"#, 404)

            // Catalog.
            try await hit(.GET, "/api/vod/movies?all=true&per_page=5", nil, 200)
            try await hit(.GET, "/api/vod/movies?per_page=0", nil, 400)
            try await hit(.GET, "/api/vod/series?q=breaking", nil, 200)
            try await hit(.GET, "/api/vod/series?page=0", nil, 400)
            try await hit(.GET, "/api/vod/movies/10001", nil, 200)
            try await hit(.GET, "/api/vod/movies/999", nil, 404)
            try await hit(.GET, "/api/vod/series/501", nil, 200)
            try await hit(.GET, "/api/vod/series/999", nil, 404)
            try await hit(.GET, "/api/vod/movies/10001/stream", nil, 200)
            try await hit(.GET, "/api/vod/movies/999/stream", nil, 404)
            try await hit(.GET, "/api/vod/episodes/11001/stream?user=family", nil, 200)
            try await hit(.GET, "/api/vod/episodes/999/stream", nil, 404)
            try await hit(.GET, "/api/connections", nil, 200)
            // The event stream with `seconds=0`: the current state, then the end.
            let events = try await hit(.GET, "/api/events?seconds=0", nil, 200)
            #expect(events.text.contains("event: connections\ndata: {") && events.text.contains("event: jobs\ndata: {"), "\(events.text)")
            try await hit(.GET, "/api/events?seconds=-1", nil, 400)
            let sports = try await env.categoryID(.live, "Sports")
            try await hit(.GET, "/api/live/channels?category=\(sports)&q=sky&per_page=5", nil, 200)
            try await hit(.GET, "/api/live/channels?per_page=0", nil, 400)
            try await hit(.GET, "/api/live/channels/3001", nil, 200)
            try await hit(.GET, "/api/live/channels/999", nil, 404)
            try await hit(.GET, "/api/categories?kind=live", nil, 200)

            // Sync and prune, first with no job running.
            try await hit(.POST, "/api/vod/prune", #"{"stale_for_seconds":86400}"#, 200)
            try await hit(.POST, "/api/vod/prune", #"{"stale_for_seconds":-1}"#, 400)
            try await hit(.DELETE, "/api/accounts/gamma", nil, 204)
            try await hit(.DELETE, "/api/accounts/gamma", nil, 404)
            try await hit(.PATCH, "/api/accounts/beta", #"{"enabled":false}"#, 200)
            try await hit(.POST, "/api/sync", #"{"account":"beta"}"#, 422)
            try await hit(.PATCH, "/api/accounts/beta", #"{"enabled":true}"#, 200)
            try await hit(.POST, "/api/sync", #"{"account":"nope"}"#, 404)
            try await hit(.POST, "/api/sync", #"{"acount":"alpha"}"#, 400)
            try await hit(.GET, "/api/sync/jobs/99999", nil, 404)
            try await hit(.POST, "/api/sync/jobs/99999/cancel", nil, 404)

            // A job held up by a slow provider, and what is refused while it runs.
            env.provider.setFaults(FixtureFaults(firstByteDelay: .seconds(2)), for: "alpha")
            let started = try await hit(.POST, "/api/sync", #"{"account":"alpha","force":false,"prune":false,"episodes":false}"#, 202)
            let id = try started.json()["job"]["id"].int ?? -1
            try await hit(.POST, "/api/sync", #"{"account":"alpha"}"#, 409)
            try await hit(.DELETE, "/api/accounts/beta", nil, 409)
            try await hit(.POST, "/api/vod/prune", nil, 409)
            try await hit(.GET, "/api/sync/jobs", nil, 200)
            try await hit(.GET, "/api/sync/jobs/\(id)", nil, 200)
            try await hit(.POST, "/api/sync/jobs/\(id)/cancel", nil, 202)
            let ended = try await env.waitForJob(id)
            #expect(ended.jobPhase == "cancelled", "\(ended)")
            env.provider.setFaults(.none, for: "alpha")
            try await hit(.POST, "/api/sync/jobs/\(id)/cancel", nil, 409)
            try await hit(.GET, "/api/connections", nil, 200)

            #expect(bodyProblems == [])
            for operation in contract.operations.sorted() {
                let documented = contract.statuses(of: operation).subtracting([401])
                #expect(seen[operation, default: []] == documented, "\(operation): seen \(seen[operation, default: []].sorted()), documented \(documented.sorted())")
            }
        }
    }

    /// Keywords the validator does not know and references that lead nowhere, anywhere under `schema`.
    private func schemaProblems(_ schema: ProviderValue, at location: String) -> [String] {
        guard let fields = schema.object else { return ["\(location): schema is not an object"] }
        var problems = fields.keys.filter { !SchemaValidator.known.contains($0) }.map { "\(location): unknown keyword \($0)" }
        if let ref = fields["$ref"]?.string, contract.validator.resolve(ref) == nil { problems.append("\(location): unresolvable \(ref)") }
        for (name, property) in fields["properties"]?.object ?? [:] { problems += schemaProblems(property, at: "\(location).\(name)") }
        for name in fields["required"]?.items.compactMap(\.string) ?? [] where fields["properties"]?[name] == .null {
            problems.append("\(location): requires \(name), which it does not describe")
        }
        if let items = fields["items"] { problems += schemaProblems(items, at: "\(location)[]") }
        if let additional = fields["additionalProperties"], additional.object != nil { problems += schemaProblems(additional, at: "\(location).*") }
        for key in ["oneOf", "anyOf", "allOf"] {
            for (index, sub) in (fields[key]?.items ?? []).enumerated() { problems += schemaProblems(sub, at: "\(location).\(key)[\(index)]") }
        }
        return problems
    }
}

extension OpenAPIContractTests {
    /// A mistyped path is answered in the API's error shape too: 401 without the token (nothing about
    /// the API is told to a caller without it), 404 naming the path with it.
    @Test func unknownPathsAnswerTheErrorShape() async throws {
        try await TestEnvironment.withAdmin { env in
            for (path, method) in [("/api/nope", HTTPMethod.GET), ("/api/accounts/alpha/nope", .POST), ("/api/vod/movies/1/2/3", .GET),
                                   ("/api/accounts", .PUT), ("/api/", .GET)] {
                expectAPIError(try await env.admin(path, method: method, token: nil), 401, code: "unauthorized")
                let reply = try await env.admin(path, method: method)
                expectAPIError(reply, 404, code: "not_found")
                #expect((try? reply.json())?["error"]["message"].string?.contains(method.rawValue) == true, "\(reply.text)")
            }
        }
    }
}
