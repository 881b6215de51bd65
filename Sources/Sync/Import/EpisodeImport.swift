import Foundation
import Logging
import XCModels

/// A series relation whose episodes are to be (re)fetched (the store's row, under the name Sync uses).
public typealias SeriesToFetch = SeriesRelationToFetch

/// Imports the episodes of one provider series (`get_series_info`) into the series' title.
///
/// Episodes dedup across accounts by (series, season, episode number): the same episode in two
/// accounts is one episode with two relations, listed once to clients.
enum EpisodeImport {
    /// `episodes` comes as an object keyed by season, or (PHP, contiguous keys from 0) as an array of
    /// arrays indexed by season, or as a flat array whose items carry `season`.
    static func episodes(of info: ProviderObject) -> [(season: Int, episode: ProviderObject)] {
        var result: [(Int, ProviderObject)] = []
        func add(_ list: [ProviderValue], season: Int?) {
            for value in list {
                guard let object = value.object else { continue }
                let item = ProviderObject(object)
                result.append((season ?? item.int("season") ?? 1, item))
            }
        }
        switch info["episodes"] {
        case .object(let seasons):
            for (key, value) in seasons.sorted(by: { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }) {
                if let list = value.array {
                    add(list, season: Int(key))
                } else if let object = value.object {   // a season keyed by episode number
                    add(object.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map(\.value), season: Int(key))
                }
            }
        case .array(let values):
            if values.allSatisfy({ $0.array != nil }) {
                for (index, value) in values.enumerated() { add(value.array ?? [], season: index) }
            } else {
                add(values, season: nil)
            }
        default:
            break
        }
        return result
    }

    /// Reads the episodes of `info` (each stream id once, skipping what is not an episode) and has the
    /// store import them for `series`.
    static func run(_ info: ProviderObject, series: SeriesToFetch, now: Int64, store: Store, logger: Logger) async throws -> SyncCounts {
        var counts = SyncCounts()
        var seen = Set<Int>()
        var positionInSeason: [Int: Int] = [:]
        var parsed: [ProviderEpisode] = []
        for (season, episode) in episodes(of: info) {
            positionInSeason[season, default: 0] += 1
            guard let streamID = episode.int("id", "stream_id"), streamID > 0 else {
                counts.skip("missing episode id")
                continue
            }
            guard seen.insert(streamID).inserted else {
                counts.skip("episode id listed twice")
                continue
            }
            let extra = ProviderValue.object(episode.fields).jsonText
            parsed.append(ProviderEpisode(
                streamID: streamID, season: season, number: episode.int("episode_num") ?? positionInSeason[season]!,
                containerExtension: episode.optionalString("container_extension") ?? "mp4", title: episode.string("title", "name"),
                added: episode.string("added"), customSID: episode.string("custom_sid"), directSource: episode.string("direct_source"),
                info: episode["info"]?.object.map { ProviderValue.object($0).jsonText } ?? "{}", extra: extra,
                hash: ContentHash.of(extra.utf8)))
        }
        let seasons = info["seasons"]?.array.map { ProviderValue.array($0).jsonText } ?? "[]"
        let outcome = try await store.importEpisodes(parsed, seasons: seasons, series: series, now: now, logger: logger)
        counts.added += outcome.added
        counts.updated += outcome.updated
        counts.unchanged += outcome.unchanged
        counts.stale = outcome.stale
        return counts
    }
}
