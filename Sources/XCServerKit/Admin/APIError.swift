import Foundation
import Hummingbird
import XCModels

/// Every admin API error, as `{"error": {"code": "...", "message": "...", "field": "..."}}` with the
/// status that says whose move it is (400/422 fix the input, 404 wrong id, 409 retry later or rename).
struct APIError: HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid", message: "\(field): \(message)", field: field)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }

    static func conflict(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .conflict, code: "conflict", message: message, field: field)
    }

    static func unprocessable(_ message: String) -> APIError {
        APIError(status: .unprocessableContent, code: "unprocessable", message: message)
    }

    static let unauthorized = APIError(
        status: .unauthorized, code: "unauthorized", message: "missing or wrong admin token (Authorization: Bearer TOKEN)")

    static let csrf = APIError(
        status: .forbidden, code: "csrf",
        message: "a call made with the web page's session cookie must carry its X-CSRF-Token header; reload the page")

    var description: String { "\(status.code) \(code): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var error: [String: String] = ["code": code, "message": message]
        if let field { error["field"] = field }
        return try AdminJSON.response(["error": error], status: status)
    }

    /// The API's reading of errors thrown by the store and by request decoding.
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError: return error
        case let error as StoreError:
            switch error {
            case .invalid(let validation): return .invalid(validation.field, validation.message)
            case .duplicate(let field, let value): return .conflict("\(field) '\(value)' is already taken", field: field)
            case .notFound(let what, let key): return .notFound("no \(what) '\(key)'")
            }
        case let error as InvalidField: return .invalid(error.field, error.message)
        case let error as DecodingError: return .fromDecoding(error)
        default: return nil
        }
    }

    /// Names the field a JSON body got wrong, so a script's author knows what to fix.
    static func fromDecoding(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid(path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return .invalid(path(context.codingPath), "must be a \(type)")
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? APIError(status: .badRequest, code: "invalid", message: "the body is not valid JSON")
                : .invalid(path(context.codingPath), context.debugDescription)
        @unknown default:
            return APIError(status: .badRequest, code: "invalid", message: "the body could not be read")
        }
    }
}

/// JSON in and out for the admin API. Answers are written with snake_case keys from their property names
/// (`snakeCase`), so an answer type declares `CodingKeys` only to rename or leave out a property;
/// dictionary keys (account names) stay as they are.
enum AdminJSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response.json(try encode(value), status: status)
    }

    /// One line of JSON (no newlines, so it also fits in a server-sent event's `data:` line).
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in Key(stringValue: snakeCase(path.last!.stringValue)) }
        return Array(try encoder.encode(value))
    }

    /// `maxConnections` → `max_connections`, `accountID` → `account_id`, `categoryIDs` → `category_ids`
    /// (Foundation's `convertToSnakeCase` writes `category_i_ds`); a key already in snake_case is kept.
    static func snakeCase(_ key: String) -> String {
        let characters = Array(key.replacingOccurrences(of: "IDs", with: "Ids"))
        var snake = ""
        for (i, character) in characters.enumerated() {
            if character.isUppercase, i > 0 {
                let previous = characters[i - 1], next = i + 1 < characters.count ? characters[i + 1] : nil
                // A word starts here, or an acronym ends before the word that starts here (`URLPath`).
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    snake.append("_")
                }
            }
            snake += character.lowercased()
        }
        return snake
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: XCRequestContext) async throws -> T {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw APIError.fromDecoding(error)
        }
    }
}
