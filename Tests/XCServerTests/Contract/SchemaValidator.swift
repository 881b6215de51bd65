import Sync

/// Checks a JSON value against a schema of an OpenAPI 3.1 document (JSON Schema 2020-12 subset:
/// `$ref`, `type` (one or a list, with "null"), `properties`, `required`, `additionalProperties`,
/// `items`, `enum`, `const`, `oneOf`/`anyOf`/`allOf`, `minimum`, `maximum`, `minItems`).
/// An unknown keyword is an error, so the document cannot silently rely on something unchecked.
struct SchemaValidator {
    let document: ProviderValue

    static let known: Set<String> = [
        "$ref", "type", "properties", "required", "additionalProperties", "items", "enum", "const", "oneOf", "anyOf",
        "allOf", "minimum", "maximum", "minItems", "description", "format", "example", "examples", "title", "default",
    ]

    /// Every violation, as "path: what"; empty when the value conforms.
    func violations(of value: ProviderValue, against schema: ProviderValue, path: String = "$") -> [String] {
        guard let schema = schema.object else { return ["\(path): schema is not an object"] }
        if let unknown = schema.keys.first(where: { !Self.known.contains($0) }) { return ["\(path): unsupported schema keyword \(unknown)"] }
        if let ref = schema["$ref"]?.text {
            guard let target = resolve(ref) else { return ["\(path): unresolvable \(ref)"] }
            return violations(of: value, against: target, path: path)
        }
        var problems: [String] = []
        if let types = schema["type"] {
            let allowed = types.array?.compactMap(\.text) ?? [types.text ?? ""]
            if !allowed.contains(where: { Self.matches(value, type: $0) }) {
                return ["\(path): expected \(allowed.joined(separator: "|")), got \(Self.describe(value))"]
            }
        }
        if let options = schema["enum"]?.array, !options.contains(value) { problems.append("\(path): \(Self.describe(value)) not in enum") }
        if let constant = schema["const"], constant != value { problems.append("\(path): expected const \(constant)") }
        if let minimum = schema["minimum"]?.double, let number = value.double, number < minimum { problems.append("\(path): below minimum \(minimum)") }
        if let maximum = schema["maximum"]?.double, let number = value.double, number > maximum { problems.append("\(path): above maximum \(maximum)") }
        if case .object(let fields) = value {
            let properties = schema["properties"]?.object ?? [:]
            for name in schema["required"]?.array?.compactMap(\.text) ?? [] where fields[name] == nil {
                problems.append("\(path): missing required \(name)")
            }
            for (name, field) in fields {
                if let property = properties[name] {
                    problems += violations(of: field, against: property, path: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) {
                        problems.append("\(path): unexpected property \(name)")
                    } else if additional.object != nil {
                        problems += violations(of: field, against: additional, path: "\(path).\(name)")
                    }
                }
            }
        }
        if case .array(let items) = value {
            if let minItems = schema["minItems"]?.int, items.count < minItems { problems.append("\(path): fewer than \(minItems) items") }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += violations(of: item, against: itemSchema, path: "\(path)[\(index)]") }
            }
        }
        if let all = schema["allOf"]?.array {
            for sub in all { problems += violations(of: value, against: sub, path: path) }
        }
        if let any = schema["anyOf"]?.array, !any.contains(where: { violations(of: value, against: $0, path: path).isEmpty }) {
            problems.append("\(path): matches none of anyOf")
        }
        if let one = schema["oneOf"]?.array, one.filter({ violations(of: value, against: $0, path: path).isEmpty }).count != 1 {
            problems.append("\(path): does not match exactly one of oneOf")
        }
        return problems
    }

    /// `#/components/schemas/Name` and other local pointers.
    func resolve(_ ref: String) -> ProviderValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: ProviderValue? = document
        for part in ref.dropFirst(2).split(separator: "/") {
            node = node?.object?[part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return node
    }

    /// The schema of the JSON response `status` of `method path` (a templated path as in the document).
    func responseSchema(method: String, path: String, status: Int) -> ProviderValue? {
        let operation = document.object?["paths"]?.object?[path]?.object?[method.lowercased()]
        var response = operation?.object?["responses"]?.object?[String(status)] ?? operation?.object?["responses"]?.object?["default"]
        if let ref = response?.object?["$ref"]?.text { response = resolve(ref) }
        return response?.object?["content"]?.object?["application/json"]?.object?["schema"]
    }

    private static func matches(_ value: ProviderValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number == number.rounded()
        default:
            return false
        }
    }

    private static func describe(_ value: ProviderValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .string: "string"
        case .number: "number"
        case .array: "array"
        case .object: "object"
        }
    }
}

@testable import XCServerKit
import Testing

@Suite struct SchemaValidatorTests {
    let validator = SchemaValidator(document: try! ProviderValue.parse("""
        {"components": {"schemas": {
          "Thing": {"type": "object", "required": ["id", "name"], "additionalProperties": false,
                    "properties": {"id": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
                                   "tags": {"type": "array", "items": {"type": "string"}},
                                   "kind": {"enum": ["a", "b"]}, "note": {"type": ["string", "null"]}}}}}}
        """))

    @Test func acceptsConformingAndNamesEachViolation() throws {
        let schema = ProviderValue.object(["$ref": .string("#/components/schemas/Thing")])
        #expect(validator.violations(of: try .parse(#"{"id": 3, "name": "x", "tags": ["a"], "kind": "a", "note": null}"#), against: schema).isEmpty)
        let bad = validator.violations(of: try .parse(#"{"id": 0.5, "tags": [1], "kind": "c", "extra": true}"#), against: schema)
        #expect(bad.contains("$: missing required name"))
        #expect(bad.contains("$.id: expected integer, got number"))
        #expect(bad.contains("$.tags[0]: expected string, got number"))
        #expect(bad.contains { $0.hasPrefix("$.kind:") })
        #expect(bad.contains("$: unexpected property extra"))
        #expect(validator.violations(of: .object([:]), against: .object(["patternProperties": .object([:])])) == ["$: unsupported schema keyword patternProperties"])
    }
}
