/// How one login sees the variants of a title (docs/variants.md, "Per-login view").
///
/// `all` (the default) lists every variant as its own entry; `best` lists one entry per title, the
/// most preferred variant, and streams the next variant when the preferred one has no account with
/// room. `maxQuality` hides better classes in both modes (a tablet on a weak link never gets 4K).
public struct VariantView: Sendable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case all, best
    }

    public var mode: Mode
    /// Preferred quality classes, most preferred first; unlisted classes follow, best first.
    public var qualities: [VariantKey.Quality]
    /// Preferred language tags (upper case), most preferred first; unlisted tags follow, untagged
    /// before other tags. Empty: language does not rank at all.
    public var languages: [String]
    /// The best class this login may see; nil for no limit. Copies of unknown quality always pass.
    public var maxQuality: VariantKey.Quality?

    public static let all = VariantView(mode: .all)

    public init(mode: Mode = .all, qualities: [VariantKey.Quality] = [], languages: [String] = [],
                maxQuality: VariantKey.Quality? = nil) {
        self.mode = mode
        self.qualities = qualities
        self.languages = languages
        self.maxQuality = maxQuality
    }

    /// Reads a view as an admin writes it (API body, CLI options); the error names the field.
    public init(mode: String, qualities: [String], languages: [String], maxQuality: String?) throws(InvalidField) {
        guard let parsedMode = Mode(rawValue: mode.lowercased()) else {
            throw InvalidField(field: "variants", message: "must be \"all\" or \"best\", not \"\(mode)\"")
        }
        var parsedQualities: [VariantKey.Quality] = []
        for text in qualities {
            guard let quality = VariantKey.Quality(userInput: text) else { throw Self.badQuality("qualities", text) }
            if !parsedQualities.contains(quality) { parsedQualities.append(quality) }
        }
        var parsedLanguages: [String] = []
        for text in languages {
            let tag = text.trimmingCharacters(in: .whitespaces).uppercased()
            guard (2...6).contains(tag.count), tag.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw InvalidField(field: "languages", message: "\"\(text)\" is not a language tag (2 to 6 letters, e.g. FR, EN, MULTI)")
            }
            let folded = VariantKey.languageAliases[tag] ?? tag
            if !parsedLanguages.contains(folded) { parsedLanguages.append(folded) }
        }
        var parsedMax: VariantKey.Quality?
        if let maxQuality {
            guard let quality = VariantKey.Quality(userInput: maxQuality), quality != .unknown else {
                throw Self.badQuality("max_quality", maxQuality)
            }
            parsedMax = quality
        }
        self.init(mode: parsedMode, qualities: parsedQualities, languages: parsedLanguages, maxQuality: parsedMax)
    }

    private static func badQuality(_ field: String, _ text: String) -> InvalidField {
        InvalidField(field: field, message: "\"\(text)\" is not a quality: use 2160p (4K, UHD), 1080p (FHD), 720p (HD) or SD")
    }

    /// Quality classes above `maxQuality` (hidden from this login).
    public var hiddenQualities: [VariantKey.Quality] {
        guard let maxQuality else { return [] }
        return VariantKey.Quality.allCases.filter { $0 != .unknown && $0 < maxQuality }
    }

    /// Language first (a French speaker cannot watch the English 4K), then quality: lower is preferred.
    public func rank(_ key: VariantKey) -> Int {
        languageRank(key.language) * 16 + qualityRank(key.quality)
    }

    func languageRank(_ language: String?) -> Int {
        if languages.isEmpty { return 0 }
        if let language, let index = languages.firstIndex(of: language) { return index }
        return languages.count + (language == nil ? 0 : 1)
    }

    func qualityRank(_ quality: VariantKey.Quality) -> Int {
        if let index = qualities.firstIndex(of: quality) { return index }
        return qualities.count + VariantKey.Quality.allCases.firstIndex(of: quality)!
    }
}
