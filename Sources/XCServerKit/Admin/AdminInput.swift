import Foundation
import Hummingbird
import XCModels

/// What a PATCH body says about one field: left out, set to `null`, or set to a value.
enum PatchField<Value: Decodable & Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// The value, refusing `null` for fields that cannot be empty.
    func required(_ field: String) throws -> Value? {
        switch self {
        case .absent: return nil
        case .null: throw APIError.invalid(field, "must not be null")
        case .value(let value): return value
        }
    }

    /// Sets a field that may be cleared: `null`, or a value `normalize` turns into nil (`""`), clears it.
    func clearable(_ target: inout Value?, _ normalize: (Value) -> Value?) {
        switch self {
        case .absent: break
        case .null: target = nil
        case .value(let value): target = normalize(value)
        }
    }
}

/// Any JSON object key, to see which keys a body holds.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer {
    func patch<Value: Decodable & Sendable>(_ type: Value.Type, _ key: Key) throws -> PatchField<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(Value.self, forKey: key))
    }
}

/// Request parsing shared by the admin controllers: bodies with only known keys, path ids, query values.
enum AdminInput {
    /// A typo in a key (`max_conections`) would otherwise be ignored in silence; name it instead.
    /// `Keys` are the body's coding keys: the fields it reads are the fields it allows.
    static func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, allowed _: Keys.Type) throws {
        let allowed = Set(Keys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalid(unknown, "is not a field of this request (fields: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// A JSON object body; an empty body is refused like a missing one.
    static func body<T: Decodable>(_ type: T.Type, _ request: Request, _ context: XCRequestContext) async throws -> T {
        guard let value = try await optionalBody(T.self, request, context) else {
            throw APIError(status: .badRequest, code: "invalid", message: "a JSON object body is required")
        }
        return value
    }

    /// A JSON body, or nil when the request has none (for bodies whose every field is optional).
    static func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request, _ context: XCRequestContext) async throws -> T? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytesView.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw APIError.fromDecoding(error)
        }
    }

    /// `:name` of the path as an integer id, or 404.
    static func pathID(_ context: XCRequestContext, _ name: String, what: String) throws -> Int64 {
        let text = context.parameters.get(name) ?? ""
        guard let id = Int64(text) else { throw APIError.notFound("no \(what) '\(text)'") }
        return id
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// An integer query parameter within `range`; nil when absent or empty.
    static func intQuery(_ request: Request, _ name: String, in range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let text = query(request, name), !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw APIError.invalid(name, "must be an integer, got '\(text)'") }
        if let range, !range.contains(value) {
            throw APIError.invalid(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    static func boolQuery(_ request: Request, _ name: String) throws -> Bool? {
        guard let text = query(request, name), !text.isEmpty else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.invalid(name, "must be true or false, got '\(text)'")
        }
    }

    /// What every password field shows; sending it back as a password is refused, so a script that
    /// PATCHes back what it read cannot set a password to the mask.
    static let passwordMask = "****"

    static func checkPassword(_ password: String?) throws {
        if password == passwordMask {
            throw APIError.invalid("password", "'\(passwordMask)' is the mask the API shows; send the real password or leave the field out")
        }
    }
}
