import Foundation

/// Any JSON value a provider may send where a field is expected.
///
/// Panels send the same field as a string, a number, `null`, `false` or not at all, so every field is read
/// through the lenient accessors below rather than through a typed `Decodable` that would drop the item.
public enum ProviderValue: Decodable, Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([ProviderValue])
    case object([String: ProviderValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([String: ProviderValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([ProviderValue].self))
        }
    }

    /// The value as text: strings as is, whole numbers without ".0", everything else nil.
    public var text: String? {
        switch self {
        case .string(let value): return value
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        default: return nil
        }
    }

    public var int: Int? {
        switch self {
        case .number(let value): return value.isFinite && abs(value) < 9e15 ? Int(value) : nil
        case .string(let value):
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if let int = Int(trimmed) { return int }
            return Double(trimmed).flatMap { $0.isFinite && abs($0) < 9e15 ? Int($0) : nil }
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .number(let value): return value
        case .string(let value): return Double(value.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    public var object: [String: ProviderValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var array: [ProviderValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

/// One provider item (a JSON object), with lenient field access.
public struct ProviderObject: Sendable {
    public var fields: [String: ProviderValue]

    public init(_ fields: [String: ProviderValue]) {
        self.fields = fields
    }

    /// Reads a JSON object (`ProviderJSON`); anything else throws.
    public init(json: some DataProtocol) throws {
        guard case .object(let fields) = try ProviderJSON.parse(json) else {
            throw ProviderJSON.Invalid(offset: 0, reason: "the value is not an object")
        }
        self.fields = fields
    }

    public subscript(_ key: String) -> ProviderValue? { fields[key] }

    /// Text of the first key present as text; "" when none is (never nil toward a client).
    public func string(_ keys: String...) -> String {
        for key in keys { if let value = fields[key]?.text { return value } }
        return ""
    }

    public func optionalString(_ keys: String...) -> String? {
        for key in keys { if let value = fields[key]?.text, !value.isEmpty { return value } }
        return nil
    }

    public func int(_ keys: String...) -> Int? {
        for key in keys { if let value = fields[key]?.int { return value } }
        return nil
    }

    public func double(_ keys: String...) -> Double? {
        for key in keys { if let value = fields[key]?.double { return value } }
        return nil
    }

    /// `backdrop_path` and friends: a list of URLs, whether the panel sent a list, one string or nothing.
    public func stringList(_ key: String) -> [String] {
        switch fields[key] {
        case .array(let values): return values.compactMap(\.text).filter { !$0.isEmpty }
        case .string(let value) where !value.isEmpty: return [value]
        default: return []
        }
    }

    /// `category_ids` as ints, from a list of numbers or strings; empty when absent.
    public func intList(_ key: String) -> [Int] {
        switch fields[key] {
        case .array(let values): return values.compactMap(\.int)
        case .string, .number: return fields[key]?.int.map { [$0] } ?? []
        default: return []
        }
    }

    /// A 4-digit year from `year`, else from the start of a release date.
    public var year: Int? {
        if let year = int("year"), (1900...2100).contains(year) { return year }
        let date = string("releaseDate", "release_date", "releasedate")
        if date.count >= 4, let year = Int(date.prefix(4)), (1900...2100).contains(year) { return year }
        return nil
    }
}

extension ProviderValue {
    /// Parses JSON text (stored `seasons`, `info`) back into a value.
    public static func parse(_ text: String) throws -> ProviderValue {
        var text = text
        return try text.withUTF8 { bytes in try ProviderJSON.parse(bytes) }
    }
}
