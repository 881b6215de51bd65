import Foundation
import Testing

@testable import FixtureProvider

/// The generated catalog's variant copies (`variants: true`): 10 % 4K, 3 % French, each listed once
/// under its own stream id, streamable, and apart from every movie and episode id.
@Suite struct GeneratedVariantsTests {
    @Test func variantCopiesAreListedAndStreamable() async throws {
        let layout = GeneratedCatalogLayout(movies: 1000, series: 10, episodesPerSeries: 5, seed: 7, variants: true)
        let catalog = FixtureCatalog.generated(movies: 1000, series: 10, episodesPerSeries: 5, seed: 7, variants: true)
        let account = FixtureAccount(username: "gen", password: "p", maxConnections: 4, catalog: catalog, mediaSeed: 5)
        try await withProvider([account]) { provider async throws in
            let movies = try #require(try await fetch(provider.apiURL(username: "gen", password: "p", action: "get_vod_streams")).json()
                as? [[String: Any]])
            #expect(movies.count == 1000 + 100 + 30)
            let names = Dictionary(uniqueKeysWithValues: movies.map { ($0["stream_id"] as! Int, $0["name"] as! String) })
            #expect(names.count == movies.count, "every copy has its own stream id")
            let uhd = layout.variantCopyID(3, .uhd), french = layout.variantCopyID(7, .french)
            #expect(names[uhd]?.hasSuffix(" 4K") == true && names[french]?.hasPrefix("|FR| ") == true)
            #expect(layout.variantCopy(ofStreamID: uhd)?.index == 3 && layout.variantCopy(ofStreamID: uhd + 1) == nil)
            #expect(uhd > layout.episodeID(series: 9, episode: 4), "copy ids come after every episode id")
            let stream = try await fetch(provider.streamURL(username: "gen", password: "p", streamID: french), headers: [("Range", "bytes=0-9")])
            #expect(stream.status == 206)
        }
        let plain = FixtureCatalog.generated(movies: 10, series: 0, episodesPerSeries: 0, seed: 7)
        #expect(plain.containsMovie(GeneratedCatalogLayout(movies: 10, series: 0, episodesPerSeries: 0, seed: 7, variants: true).variantCopyID(3, .uhd)) == false)
    }
}
