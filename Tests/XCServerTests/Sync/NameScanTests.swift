import DemoProvider
import Foundation
import Testing
@testable import XCModels

/// The ASCII fast paths of the name scans (`NameScan`) give what the general code they skip gives, on
/// the names of fixtures/ and on real-looking ones; names that are not plain ASCII take the general code.
@Suite struct NameScanTests {
    /// Real-looking panel names: tags, brackets, separators, years, odd spacing.
    static let realLooking = [
        "|FR| Inception", "The Matrix [MULTI-SUB] 2160p HDR", "EN - The Matrix (1999)", "|EN| The Matrix 4K",
        "[EN] the matrix: 1999 FHD", "Dune DV HDR10 2160p", "It: Chapter Two (2019)", "UK: BBC One HD", "US| CNN",
        "  Heat 1080p\t", "\tUp ", "", "   ", "1917", "Blade Runner 2049 (2017)", "Se7en", "WALL·E", "Mission: Impossible - Fallout",
        "X-Men: Days of Future Past 4K HEVC x265", "Léon (1994)", "Amélie (2001)", "千と千尋の神隠し (2001)", "Spirited Away 🎬 4K",
        "|AR| فيلم", "Ｆｕｌｌｗｉｄｔｈ Ｔｉｔｌｅ", "Crème Brûlée VOSTFR", "İstanbul (2020)", "Straße", "Line\r\nBreak (1999)",
        "Tabs\tand  spaces", "ÉCOLE [FR]", "naïve 720p", "Ⅻ Roman 1080p", "١٢٣ digits", "a_b.c-d/e", "(2001)", "[FR]",
    ]

    /// Every `name` of the fixture lists (films, series, channels) of both accounts.
    static func fixtureNames() throws -> [String] {
        var names: [String] = []
        for (path, bytes) in EmbeddedFixtures.files where path.hasSuffix(".json") {
            guard let items = try JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else { continue }
            names += items.compactMap { $0["name"] as? String }
        }
        return names
    }

    static func allNames() throws -> [String] {
        let names = try fixtureNames() + realLooking
        return names + names.map { $0.uppercased() } + names.map { " \($0)\t" }
    }

    @Test func theFixturesHaveNamesToCompare() throws {
        #expect(try Self.fixtureNames().count > 40)
    }

    @Test func trimmingMatchesFoundation() throws {
        for name in try Self.allNames() {
            if let fast = NameScan.trimmedASCII(name) {
                #expect(String(fast) == name.trimmingCharacters(in: .whitespaces), "\(name.debugDescription)")
            } else {
                #expect(!NameScan.isPlainASCII(name.utf8), "\(name.debugDescription) is ASCII but took the general path")
            }
        }
    }

    @Test func wordsMatchTheCharacterSplit() throws {
        var fastPaths = 0
        for name in try Self.allNames() {
            let text = Substring(name)
            let general = text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
            if let fast = NameScan.lowercasedWordsASCII(text) {
                fastPaths += 1
                #expect(fast == general, "\(name.debugDescription)")
            } else {
                #expect(!NameScan.isPlainASCII(name.utf8), "\(name.debugDescription) is ASCII but took the general path")
            }
        }
        #expect(fastPaths > 40)
    }

    @Test func nonASCIINamesTakeTheGeneralPath() {
        for name in ["Amélie (2001)", "千と千尋の神隠し", "Spirited Away 🎬", "Line\r\nBreak", "Straße"] {
            #expect(NameScan.trimmedASCII(name) == nil, "\(name.debugDescription)")
            #expect(NameScan.lowercasedWordsASCII(Substring(name)) == nil, "\(name.debugDescription)")
        }
        #expect(NameScan.lowercasedWordsASCII("The Matrix [MULTI-SUB] 2160p") == ["the", "matrix", "multi", "sub", "2160p"])
    }

    /// What the scans feed: keys and identities of names on both paths.
    @Test(arguments: [
        ("Amélie (2001)", "amélie", 2001, "|"),
        ("|FR| Amélie 4K", "amélie", nil, "2160p|FR"),
        ("Léon 1080p (1994)", "léon", 1994, "1080p|"),
        ("千と千尋の神隠し (2001)", "千と千尋の神隠し", 2001, "|"),
        ("Spirited Away 🎬 4K (2001)", "spirited away", 2001, "2160p|"),
        ("ÉCOLE [FR]", "école fr", nil, "|FR"),
        ("The Matrix [MULTI-SUB] 2160p HDR", "the matrix sub", nil, "2160p+hdr|MULTI"),
        ("  EN - The Matrix (1999)\t", "the matrix", 1999, "|EN"),
        ("Ⅻ Roman 1080p", "ⅻ roman", nil, "1080p|"),
    ] as [(String, String, Int?, String)])
    func identityAndKeyOfNames(name: String, nameKey: String, year: Int?, key: String) {
        let identity = TitleIdentity(tmdb: nil, imdb: nil, name: name, year: nil)
        #expect(identity.nameKey == nameKey, "\(name)")
        #expect(identity.year == year, "\(name)")
        #expect(VariantKey(name: name).key == key, "\(name)")
    }

    @Test func idsAreCleanedOnBothPaths() {
        #expect(TitleIdentity.cleanTMDB(" 00603\t") == "603")
        #expect(TitleIdentity.cleanTMDB("٦٠٣") == "٦٠٣")
        #expect(TitleIdentity.cleanTMDB("603a") == nil)
        #expect(TitleIdentity.cleanTMDB("\u{00A0}603\u{00A0}") == "603")
        #expect(TitleIdentity.cleanIMDB(" TT0133093 ") == "tt0133093")
        #expect(TitleIdentity.cleanIMDB("tt") == nil)
        #expect(TitleIdentity.cleanIMDB("tt01x") == nil)
    }
}
