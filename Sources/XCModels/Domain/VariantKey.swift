import Foundation

/// Which copy of a title a provider item is: its quality class and its language (or region) tag,
/// read from the provider's name.
///
/// Panels list one film several times on purpose ("Inception", "Inception 4K", "|FR| Inception").
/// Two items of one title merge into one client entry only when their variant keys are equal, so
/// no copy becomes unreachable. The tables below are the whole rule; `docs/variants.md` explains it.
/// Films, series and live channels share this one parser.
public struct VariantKey: Sendable, Hashable, CustomStringConvertible {
    /// Quality classes, best first. `unknown` (no tag) is a class of its own.
    public enum Quality: String, Sendable, CaseIterable, Comparable {
        case uhd = "2160p"
        case fhd = "1080p"
        case hd = "720p"
        case sd = "SD"
        case unknown = ""

        /// Best first: 2160p < 1080p < … in this ordering means "preferred earlier".
        public static func < (lhs: Quality, rhs: Quality) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        /// Parses a preference or limit as a user writes it (`4K`, `2160p`, `FHD`, `hd`, `sd`).
        public init?(userInput: String) {
            let word = userInput.trimmingCharacters(in: .whitespaces).lowercased()
            guard let quality = VariantKey.qualityWords[word] else { return nil }
            self = quality
        }
    }

    public var quality: Quality
    /// `HDR` (any HDR10/HDR10+/HLG tag) was in the name.
    public var hdr: Bool
    /// Dolby Vision (`DV`, `DoVi`, `Dolby Vision`) was in the name.
    public var dolbyVision: Bool
    /// Upper-cased language or region tag (`FR`, `EN`, `UK`, `MULTI`, `VOSTFR`); nil without one.
    public var language: String?

    public init(quality: Quality = .unknown, hdr: Bool = false, dolbyVision: Bool = false, language: String? = nil) {
        self.quality = quality
        self.hdr = hdr
        self.dolbyVision = dolbyVision
        self.language = language
    }

    /// Reads the key from a provider's name.
    public init(name raw: String) {
        self.init()
        let name = NameScan.trimmedASCII(raw) ?? Substring(raw.trimmingCharacters(in: .whitespaces))
        let (leading, rest) = VariantKey.leadingTag(name)
        language = leading
        let words = NameScan.lowercasedWordsASCII(rest)
            ?? rest.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        for (index, word) in words.enumerated() {
            if let quality = VariantKey.qualityWords[word], quality < self.quality { self.quality = quality }
            if VariantKey.hdrWords.contains(word) { hdr = true }
            if VariantKey.dolbyVisionWords.contains(word) { dolbyVision = true }
            if word == "dolby", index + 1 < words.count, words[index + 1] == "vision" { dolbyVision = true }
            if language == nil, let tag = VariantKey.languageWords[word] { language = tag }
        }
        if language == nil { language = VariantKey.bracketedTag(rest) }
    }

    /// The stored form: `quality[+hdr][+dv]|LANG`, e.g. `2160p+hdr|FR`; a name with no tags is `|`.
    /// Stable across releases: entries are matched by it in the database.
    public var key: String {
        var text = quality.rawValue
        if hdr { text += "+hdr" }
        if dolbyVision { text += "+dv" }
        return text + "|" + (language ?? "")
    }

    public var description: String { key }

    /// Parses `key` back (for entries read from the store).
    public init(key: String) {
        self.init()
        let parts = key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        let qualityParts = (parts.first ?? "").split(separator: "+").map(String.init)
        quality = qualityParts.first.flatMap { Quality(rawValue: $0) } ?? .unknown
        hdr = qualityParts.contains("hdr")
        dolbyVision = qualityParts.contains("dv")
        if parts.count > 1, !parts[1].isEmpty { language = String(parts[1]) }
    }

    // MARK: Tables

    static let qualityWords: [String: Quality] = [
        "2160p": .uhd, "4k": .uhd, "uhd": .uhd, "4320p": .uhd, "8k": .uhd,
        "1080p": .fhd, "1080i": .fhd, "fhd": .fhd, "fullhd": .fhd,
        "720p": .hd, "hd": .hd,
        "sd": .sd, "480p": .sd, "576p": .sd, "360p": .sd,
    ]
    static let hdrWords: Set<String> = ["hdr", "hdr10", "hdr10plus", "hlg"]
    static let dolbyVisionWords: Set<String> = ["dv", "dovi"]
    /// Language words that count wherever they stand in the name (trailing `VOSTFR`, `[MULTI-SUB]`).
    static let languageWords: [String: String] = [
        "multi": "MULTI", "multisub": "MULTI", "vostfr": "VOSTFR", "vost": "VOSTFR", "truefrench": "FR", "vf": "FR",
        "vff": "FR", "vfq": "FR",
    ]
    /// Three-letter spellings folded into the two-letter tag panels use most.
    static let languageAliases: [String: String] = [
        "ENG": "EN", "FRA": "FR", "FRE": "FR", "GER": "DE", "DEU": "DE", "SPA": "ES", "ESP": "ES", "ITA": "IT",
        "POR": "PT", "NLD": "NL", "DUT": "NL", "TUR": "TR", "ARA": "AR", "POL": "PL", "RUS": "RU",
    ]

    /// Words in brackets that are not languages (quality and release tags are read elsewhere).
    private static let notLanguages: Set<String> = [
        "HD", "SD", "FHD", "UHD", "HDR", "DV", "CAM", "TS", "VIP", "NEW", "HEVC", "AAC", "AC3", "DTS", "SUB", "RAW",
    ]

    /// Two or three ASCII letters; `upperCaseOnly` for tags that could also be a word of the title
    /// ("It: Chapter Two" is not Italian, "IT: Gomorra" is).
    static func languageTag(_ letters: Substring, upperCaseOnly: Bool = false) -> String? {
        guard (2...3).contains(letters.count), letters.allSatisfy({ $0.isLetter && $0.isASCII }),
              !upperCaseOnly || letters.allSatisfy(\.isUppercase)
        else { return nil }
        let tag = letters.uppercased()
        guard !notLanguages.contains(tag) else { return nil }
        return languageAliases[tag] ?? tag
    }

    /// `|FR| x`, `[FR] x`, `FR - x`, `FR: x`, `FR | x`: the tag and the rest of the name.
    static func leadingTag(_ name: String) -> (String?, Substring) { leadingTag(Substring(name)) }

    static func leadingTag(_ text: Substring) -> (String?, Substring) {
        if let first = text.first, first == "|" || first == "[" || first == "(" {
            let close: Character = first == "|" ? "|" : first == "[" ? "]" : ")"
            if let end = text.dropFirst().firstIndex(of: close),
               let tag = languageTag(text[text.index(after: text.startIndex)..<end]) {
                return (tag, text[text.index(after: end)...].drop(while: { $0 == " " }))
            }
        }
        let letters = text.prefix(while: \.isLetter)
        if let tag = languageTag(letters, upperCaseOnly: true) {
            let rest = text[letters.endIndex...]
            for separator in [" - ", ": ", " | ", "-", ":", "|"] where rest.hasPrefix(separator) {
                return (tag, rest.dropFirst(separator.count).drop(while: { $0 == " " }))
            }
        }
        return (nil, text)
    }

    /// A trailing or inner `(FR)` / `[FR]` group of two or three letters.
    static func bracketedTag(_ name: Substring) -> String? {
        var index = name.startIndex
        while let open = name[index...].firstIndex(where: { $0 == "(" || $0 == "[" }) {
            let close: Character = name[open] == "(" ? ")" : "]"
            guard let end = name[name.index(after: open)...].firstIndex(of: close) else { return nil }
            if let tag = languageTag(name[name.index(after: open)..<end], upperCaseOnly: true) { return tag }
            index = name.index(after: end)
        }
        return nil
    }
}
