import Foundation
import Hummingbird

/// The parameters of an XC call, from the query string and, for clients that POST (Smarters), from a
/// form-encoded body.
///
/// Decoded the way PHP panels decode them (`+` is a space, `%XX` a byte), since that is what clients
/// are written against; a literal `+` in a password must arrive as `%2B`.
struct XCQuery: Sendable {
    var values: [String: String] = [:]

    subscript(_ key: String) -> String? { values[key] }

    var username: String { values["username"] ?? "" }
    var password: String { values["password"] ?? "" }

    init(query: String?) {
        merge(query ?? "")
    }

    static func from(_ request: Request, context: XCRequestContext) async -> XCQuery {
        var query = XCQuery(query: request.uri.query)
        if request.method == .post,
           let body = try? await request.body.collect(upTo: context.maxUploadSize) {
            query.merge(String(buffer: body))
        }
        return query
    }

    private mutating func merge(_ encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            guard !key.isEmpty, values[key] == nil else { continue }
            values[key] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
    }

    static func decode(_ component: Substring) -> String {
        let spaced = component.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// An integer parameter (`vod_id`, `category_id`), nil when absent or not a number.
    func int(_ key: String) -> Int64? {
        values[key].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
    }
}
