/// The values of fields clients convert, written so the strict ones can: pyxtream runs `int(added)` and
/// `int(exp_date)` and stops at the first `""`; TiviMate sorts by `year` and shows `duration`. A provider
/// that left a field out, or sent `false`, `null` or a date where a timestamp belongs, must not reach a
/// client as `""` (see docs/xc-wire.md).
enum WireFields {
    /// `exp_date` of a login that never expires: 2038-01-01 00:00:00 UTC, far enough to read as "no
    /// expiry" and still inside a signed 32-bit timestamp, which some Android clients parse it into.
    static let noExpiry: Int64 = 2_145_916_800

    /// `text` when it is a whole number (`"1700000000"`), else `fallback` spelled out.
    static func integer(_ text: String, else fallback: Int64) -> String {
        // Digits only, the usual case, without Foundation's trimming: it goes through NSString and was a
        // quarter of the CPU of a 30,000-channel `get_live_streams` (two fields a row).
        if !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) { return text }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ (48...57).contains($0) }) else { return String(fallback) }
        return trimmed
    }

    /// A category id for a title listed in none: `"0"`, which no category has (clients put the title in
    /// their catch-all group) and which parses, unlike `""`.
    static func categoryID(_ id: Int64?) -> String { String(id ?? noCategory) }
    static let noCategory: Int64 = 0

    /// The first plausible release year (1900...2100) among `candidates` (as text: `"1981"`, `"1981.0"`):
    /// the provider's `year` field, then what xcserver read from the title's name or release date.
    static func year(_ candidates: String?...) -> String? {
        for case let text? in candidates {
            // A plain number, the usual case, is read once and without Foundation's trimming (see `integer`).
            guard let value = Int(text) ?? Self.wholeNumber(text.trimmingCharacters(in: .whitespaces)) else { continue }
            if (1900...2100).contains(value) { return String(value) }
        }
        return nil
    }

    /// `"1981"` or `"1981.0"` as a whole number; nil for anything else.
    private static func wholeNumber(_ text: String) -> Int? {
        Int(text) ?? Double(text).flatMap { $0 == $0.rounded() && abs($0) < 1e6 ? Int($0) : nil }
    }

    /// `duration` as panels write it (`"01:30:00"` for 5400 s); "" for no known length.
    static func duration(seconds: Int) -> String {
        guard seconds > 0 else { return "" }
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    /// Seconds of a `"HH:MM:SS"` or `"MM:SS"` duration; nil for anything else.
    static func seconds(duration: String) -> Int? {
        let parts = duration.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count) else { return nil }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == parts.count, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
        return numbers.reduce(0) { $0 * 60 + $1 }
    }
}
