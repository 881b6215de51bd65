import FixtureProvider
import Foundation

/// The account of the load bench's "refusing provider" scenario: a small catalog of its own (titles no
/// other account lists, ids the generated catalog does not use), synced with the rest and never asked
/// before that scenario. So the scenario starts with a fresh back-off memory and a closed breaker: its
/// figures are not those of an account the failing scenario already opened a breaker for.
enum RefusedAccount {
    static let name = "refused"
    static let movieIDs = 9_000_001...9_000_020
    static let seriesIDs = 9_000_101...9_000_120

    /// The account as the fixture provider serves it until the scenario points xcserver elsewhere.
    static func fixture() throws -> FixtureAccount {
        let movies = movieIDs.map { id in
            #"{"stream_id":\#(id),"name":"Refused Film \#(id - movieIDs.lowerBound + 1) (2001)","tmdb":"","category_id":"9001","container_extension":"mkv"}"#
        }
        let series = seriesIDs.map { id in
            #"{"series_id":\#(id),"name":"Refused Series \#(id - seriesIDs.lowerBound + 1) (2002)","tmdb":"","category_id":"9002","last_modified":"1700000000"}"#
        }
        func list(_ items: [String]) -> [UInt8] { Array("[\(items.joined(separator: ","))]".utf8) }
        let catalog = try FixtureCatalog(lists: [
            "get_vod_categories": list([#"{"category_id":"9001","category_name":"Refused films","parent_id":0}"#]),
            "get_series_categories": list([#"{"category_id":"9002","category_name":"Refused series","parent_id":0}"#]),
            "get_vod_streams": list(movies),
            "get_series": list(series),
        ])
        return FixtureAccount(username: name, password: name, maxConnections: 4, catalog: catalog)
    }
}
