import Foundation

/// What makes two provider items "the same title" across accounts.
///
/// Providers name one film differently ("EN - The Matrix (1999)", "|EN| The Matrix 4K"), so names are
/// compared only after normalization, and only when no shared tmdb or imdb id decides first.
public struct TitleIdentity: Sendable, Equatable {
    /// tmdb id, trimmed; nil when absent, empty or "0" (panels write "0" for "unknown").
    public var tmdb: String?
    /// imdb id as `tt1234567`, lowercased; nil unless it has that shape.
    public var imdb: String?
    /// Normalized name (see `normalizedName`).
    public var nameKey: String
    public var year: Int?

    public init(tmdb: String?, imdb: String?, name: String, year: Int?) {
        self.tmdb = TitleIdentity.cleanTMDB(tmdb)
        self.imdb = TitleIdentity.cleanIMDB(imdb)
        let (key, nameYear) = TitleIdentity.normalizedName(name)
        self.nameKey = key
        self.year = year ?? nameYear
    }

    /// The name+year key; titles without a year only match titles without a year, so remakes stay apart.
    public var nameYearKey: String { "\(nameKey)|\(year.map(String.init) ?? "")" }

    public static func cleanTMDB(_ raw: String?) -> String? {
        guard let value = raw.map(trimmed), !value.isEmpty, value != "0",
              NameScan.isASCIIDigits(value) || value.allSatisfy(\.isNumber)
        else { return nil }
        return String(value.drop(while: { $0 == "0" }))
    }

    public static func cleanIMDB(_ raw: String?) -> String? {
        guard let value = raw.map(trimmed)?.lowercased(), value.hasPrefix("tt"), value.count > 2,
              NameScan.isASCIIDigits(value.dropFirst(2)) || value.dropFirst(2).allSatisfy(\.isNumber)
        else { return nil }
        return value
    }

    /// `trimmingCharacters(in: .whitespaces)`, without Foundation for ASCII text.
    private static func trimmed(_ text: String) -> Substring {
        NameScan.trimmedASCII(text) ?? Substring(text.trimmingCharacters(in: .whitespaces))
    }

    private static let qualityTags: Set<String> = [
        "4k", "uhd", "fhd", "hd", "sd", "1080p", "720p", "2160p", "hevc", "x265", "x264", "hdr", "multi",
    ]

    /// Lowercases, drops a leading language tag (`EN - `, `|EN| `, `[EN] `), a trailing year (returned),
    /// quality tags, and collapses everything that is not a letter or digit into single spaces.
    public static func normalizedName(_ raw: String) -> (key: String, year: Int?) {
        var name = trimmed(raw.lowercased())
        name = dropLanguageTag(name)
        var words = NameScan.lowercasedWordsASCII(name)
            ?? name.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        var year: Int?
        while let last = words.last, qualityTags.contains(last) { words.removeLast() }
        if words.count > 1, let last = words.last, last.count == 4, let value = Int(last), (1900...2100).contains(value) {
            year = value
            words.removeLast()
        }
        words.removeAll { qualityTags.contains($0) }
        return (words.joined(separator: " "), year)
    }

    private static func dropLanguageTag(_ name: Substring) -> Substring {
        // "|en| x", "[en] x", "en - x", "en: x" where the tag is 2–3 letters.
        if let first = name.first, first == "|" || first == "[" {
            let close: Character = first == "|" ? "|" : "]"
            if let end = name.dropFirst().firstIndex(of: close), name.distance(from: name.startIndex, to: end) <= 4 {
                return name[name.index(after: end)...].drop(while: { $0 == " " })
            }
        }
        let letters = name.prefix(while: \.isLetter)
        if (2...3).contains(letters.count) {
            let rest = name[letters.endIndex...]
            for separator in [" - ", ": ", " | "] where rest.hasPrefix(separator) {
                return rest.dropFirst(separator.count)
            }
        }
        return name
    }
}
