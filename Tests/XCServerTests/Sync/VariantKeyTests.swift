import Foundation
import Testing
import XCModels

/// The variant key read from provider names (docs/variants.md): the table of names panels really send.
@Suite struct VariantKeyTests {
    @Test(arguments: [
        ("EN - The Matrix (1999)", "|EN"),
        ("|EN| The Matrix 4K", "2160p|EN"),
        ("The Matrix [MULTI-SUB] 2160p HDR", "2160p+hdr|MULTI"),
        ("Inception (2010)", "|"),
        ("Inception 4K", "2160p|"),
        ("|FR| Inception", "|FR"),
        ("Inception [MULTI]", "|MULTI"),
        ("Inception (FR)", "|FR"),
        ("Alien: Covenant (4K)", "2160p|"),
        ("Le Film VOSTFR", "|VOSTFR"),
        ("Dune DV HDR10 2160p", "2160p+hdr+dv|"),
        ("ENG: Test", "|EN"),
        ("[fr] Amélie", "|FR"),
        ("Up (HD)", "720p|"),
        ("Gladiator FHD", "1080p|"),
        ("Heat 1080p", "1080p|"),
        ("Old Film SD", "SD|"),
        // Title words are not tags: mixed-case two-letter starts and years in brackets.
        ("It: Chapter Two (2019)", "|"),
        ("Up", "|"),
        ("The Thing (1982)", "|"),
        // Channels: region tags and quality, as live-tv.md merges them.
        ("UK: BBC One HD", "720p|UK"),
        ("|UK| BBC ONE HD", "720p|UK"),
        ("UK: BBC One FHD", "1080p|UK"),
        ("US| CNN", "|US"),
    ])
    func readsTheKeyFromTheName(name: String, key: String) {
        #expect(VariantKey(name: name).key == key, "\(name)")
    }

    @Test func theStoredKeyReadsBackToTheSameKey() {
        for name in ["The Matrix [MULTI-SUB] 2160p HDR", "Dune DV 2160p", "|FR| Inception", "Inception", "Up (HD)"] {
            let key = VariantKey(name: name)
            #expect(VariantKey(key: key.key) == key, "\(name)")
        }
    }

    @Test func qualitiesOrderBestFirstAndParseAsUsersWriteThem() {
        #expect(VariantKey.Quality.uhd < .fhd && VariantKey.Quality.fhd < .hd && VariantKey.Quality.sd < .unknown)
        #expect(VariantKey.Quality(userInput: "4K") == .uhd)
        #expect(VariantKey.Quality(userInput: " fhd ") == .fhd)
        #expect(VariantKey.Quality(userInput: "best") == nil)
    }

    @Test func theFixtureNamesThatAreCopiesOfOneFilmGetDifferentKeys() throws {
        // "(4K)" copies of a title must never share a key with their HD namesake (issue: 58 lost films).
        #expect(VariantKey(name: "Batman Begins (4K)") != VariantKey(name: "Batman Begins"))
        #expect(VariantKey(name: "|FR| Inception") != VariantKey(name: "Inception"))
        #expect(VariantKey(name: "UK: BBC One HD") == VariantKey(name: "|UK| BBC ONE HD"))
    }
}
