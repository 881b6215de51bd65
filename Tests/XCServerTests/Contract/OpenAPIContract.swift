import Foundation
import NIOHTTP1
import Sync
import Testing
@testable import XCServerKit

/// The admin API's OpenAPI document (the bytes `/api/openapi.json` serves) and the check of one real
/// answer against it. `TestEnvironment.call` runs the check on every admin call of every test, so each
/// admin test is also a contract test.
struct OpenAPIContract: Sendable {
    /// One operation of the document: `GET /api/accounts/{id}`.
    struct Operation: Hashable, Sendable, CustomStringConvertible, Comparable {
        var method: String
        var path: String
        var description: String { "\(method) \(path)" }
        static func < (a: Operation, b: Operation) -> Bool { a.description < b.description }
    }

    /// The served document; an empty one (so every check fails and says why) when it is not JSON, rather
    /// than a crash that would take the whole test run with it.
    static let shared: OpenAPIContract = {
        do {
            return OpenAPIContract(document: try JSONDecoder().decode(ProviderValue.self, from: Data(AdminAPI.openAPIDocument)))
        } catch {
            return OpenAPIContract(document: .null, parseError: "Sources/XCServerKit/Admin/openapi.json is not JSON: \(error)")
        }
    }()

    let document: ProviderValue
    var parseError: String?
    var validator: SchemaValidator { SchemaValidator(document: document) }

    private static let methods = ["get", "post", "put", "patch", "delete", "head", "options"]

    /// Every operation the document describes.
    var operations: Set<Operation> {
        var all: Set<Operation> = []
        for (path, item) in document.object?["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys where Self.methods.contains(method) {
                all.insert(Operation(method: method.uppercased(), path: path))
            }
        }
        return all
    }

    /// The statuses the document gives `operation`.
    func statuses(of operation: Operation) -> Set<Int> {
        Set(self.operation(operation)?.object?["responses"]?.object?.keys.compactMap { Int($0) } ?? [])
    }

    func operation(_ operation: Operation) -> ProviderValue? {
        document.object?["paths"]?.object?[operation.path]?.object?[operation.method.lowercased()]
    }

    /// The document's path template a concrete path (query left out) falls under: literal segments
    /// must be equal, `{name}` takes any one segment; the template with more literal segments wins, as
    /// in the router.
    func template(for concretePath: String) -> String? {
        let path = concretePath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? concretePath
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var best: (template: String, literals: Int)?
        for template in (document.object?["paths"]?.object ?? [:]).keys {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            var literals = 0
            let fits = zip(parts, segments).allSatisfy { part, segment in
                if part.hasPrefix("{") && part.hasSuffix("}") { return !segment.isEmpty }
                literals += 1
                return part == segment
            }
            if fits, literals > (best?.literals ?? -1) { best = (template, literals) }
        }
        return best?.template
    }

    /// Everything about `reply` that the document does not allow; empty when it conforms.
    func problems(method: HTTPMethod, path: String, reply: TestEnvironment.Reply) -> [String] {
        guard path.hasPrefix("/api/") else { return [] }
        if let parseError { return [parseError] }
        let what = "\(method) \(path) → \(reply.status)"
        guard let template = template(for: path), operation(Operation(method: method.rawValue, path: template)) != nil else {
            // Not an operation of the document: only the refusals every unknown route gets are allowed.
            guard [401, 404].contains(reply.status) else { return ["\(what): not an operation of the document"] }
            return check(reply, schema: .object(["$ref": .string("#/components/schemas/Error")]), what: what)
        }
        let operation = Operation(method: method.rawValue, path: template)
        guard statuses(of: operation).contains(reply.status) else {
            return ["\(what): status \(reply.status) is not documented for \(operation) (documented: \(statuses(of: operation).sorted()))"]
        }
        guard let schema = validator.responseSchema(method: method.rawValue, path: template, status: reply.status) else {
            // A body documented as another media type (the event stream) must come with that type.
            if let type = otherMediaType(operation, status: reply.status) {
                let answered = reply.headers.first(name: "Content-Type") ?? "none"
                return answered.hasPrefix(type) ? [] : ["\(what): Content-Type \(answered), documented \(type)"]
            }
            return reply.body.isEmpty ? [] : ["\(what): documented without a body, answered \(reply.body.count) bytes"]
        }
        return check(reply, schema: schema, what: what)
    }

    /// The media type a response is documented with when it is not JSON.
    private func otherMediaType(_ operation: Operation, status: Int) -> String? {
        var response = self.operation(operation)?["responses"][String(status)] ?? .null
        if let ref = response["$ref"].string { response = validator.resolve(ref) ?? .null }
        return response["content"].object?.keys.first { $0 != "application/json" }
    }

    private func check(_ reply: TestEnvironment.Reply, schema: ProviderValue, what: String) -> [String] {
        guard reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true else {
            return ["\(what): Content-Type \(reply.headers.first(name: "Content-Type") ?? "none"), documented application/json"]
        }
        guard let value = try? reply.json() else { return ["\(what): body is not JSON: \(reply.text.prefix(200))"] }
        return validator.violations(of: value, against: schema).map { "\(what): \($0)" }
    }

    /// Records an issue for each problem of `reply`.
    func expectConforms(method: HTTPMethod, path: String, reply: TestEnvironment.Reply, sourceLocation: SourceLocation) {
        for problem in problems(method: method, path: path, reply: reply) {
            Issue.record("OpenAPI contract: \(problem)", sourceLocation: sourceLocation)
        }
    }
}
