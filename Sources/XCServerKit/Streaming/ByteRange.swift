import Foundation

/// The one `Range` form players send (`bytes=N-`, `bytes=N-M`, `bytes=-K`), validated before anything
/// goes upstream so a malformed header is the client's 400, not a provider round trip.
struct ByteRange: Sendable, Equatable {
    var start: Int64?
    var end: Int64?

    /// nil for anything else (several ranges, other units, garbage).
    init?(header: String) {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = value.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        start = first.isEmpty ? nil : Int64(first)
        end = last.isEmpty ? nil : Int64(last)
        if !first.isEmpty && start == nil { return nil }
        if !last.isEmpty && end == nil { return nil }
        if start == nil && end == nil { return nil }
        if let start, let end, end < start { return nil }
    }

    init(start: Int64?, end: Int64?) {
        self.start = start
        self.end = end
    }

    var header: String { "bytes=\(start.map(String.init) ?? "")-\(end.map(String.init) ?? "")" }
}

/// `Content-Range: bytes 100-199/1000` as (first, last, total); total nil for `*`.
struct ContentRange: Sendable, Equatable {
    var first: Int64
    var last: Int64
    var total: Int64?

    init?(header: String) {
        let value = header.trimmingCharacters(in: .whitespaces)
        guard value.lowercased().hasPrefix("bytes "), let slash = value.firstIndex(of: "/") else { return nil }
        let range = value[value.index(value.startIndex, offsetBy: 6)..<slash]
        let parts = range.split(separator: "-")
        guard parts.count == 2, let first = Int64(parts[0]), let last = Int64(parts[1]) else { return nil }
        self.first = first
        self.last = last
        total = Int64(value[value.index(after: slash)...])
    }
}
