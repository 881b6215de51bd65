import Foundation
import GRDB
import Logging
import XCModels

/// A series relation whose episodes are to be (re)fetched.
public struct SeriesToFetch: Sendable {
    public var relationID: Int64
    public var seriesID: Int64
    public var accountID: Int64
    public var providerSeriesID: Int
    public var lastModified: String
}

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

    static func run(_ info: ProviderObject, series: SeriesToFetch, now: Int64, db: Database, logger: Logger) throws -> SyncCounts {
        var counts = SyncCounts()
        var known: [Int: (id: Int64, hash: Int64, stale: Bool)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT stream_id, id, content_hash, stale FROM episode_relation WHERE series_relation_id = ?",
                                    arguments: [series.relationID]) {
            known[row[0]] = (row[1], row[2], row[3])
        }
        var seen = Set<Int>()
        var positionInSeason: [Int: Int] = [:]
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
            let number = episode.int("episode_num") ?? positionInSeason[season]!
            let extra = ProviderValue.object(episode.fields).jsonText
            let hash = ContentHash.of(extra.utf8)
            let infoJSON = episode["info"]?.object.map { ProviderValue.object($0).jsonText } ?? "{}"
            let values: [(any DatabaseValueConvertible)?] = [
                episode.optionalString("container_extension") ?? "mp4", episode.string("title", "name"),
                episode.string("added"), episode.string("custom_sid"), episode.string("direct_source"), infoJSON, extra, hash,
            ]
            if let old = known[streamID] {
                if old.hash == hash && !old.stale {
                    counts.unchanged += 1
                    continue
                }
                try db.cachedStatement(sql: """
                    UPDATE episode_relation SET container_extension = ?, title = ?, added = ?, custom_sid = ?, direct_source = ?,
                      info = ?, extra = ?, content_hash = ?, last_seen = ?, stale = 0, stale_since = NULL WHERE id = ?
                    """).execute(arguments: StatementArguments(values + [now, old.id]))
                counts.updated += 1
            } else {
                let episodeID = try episodeFor(series: series.seriesID, season: season, number: number, streamID: streamID, db: db, logger: logger)
                try db.cachedStatement(sql: """
                    INSERT INTO episode_relation (episode_id, account_id, series_relation_id, stream_id, container_extension, title,
                      added, custom_sid, direct_source, info, extra, content_hash, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: StatementArguments([episodeID, series.accountID, series.relationID, streamID] + values + [now, now]))
                counts.added += 1
            }
        }
        let vanished = known.filter { !$0.value.stale && !seen.contains($0.key) }.map(\.value.id)
        for id in vanished {
            try db.execute(sql: "UPDATE episode_relation SET stale = 1, stale_since = ? WHERE id = ?", arguments: [now, id])
        }
        counts.stale = vanished.count
        let seasons = info["seasons"]?.array.map { ProviderValue.array($0).jsonText } ?? "[]"
        try db.execute(sql: """
            UPDATE series_relation SET seasons = ?, info_last_modified = ?, info_fetched_at = ? WHERE id = ?
            """, arguments: [seasons, series.lastModified, now, series.relationID])
        try db.execute(sql: "UPDATE episode_relation SET last_seen = ? WHERE series_relation_id = ? AND stale = 0",
                       arguments: [now, series.relationID])
        return counts
    }

    private static func episodeFor(series: Int64, season: Int, number: Int, streamID: Int, db: Database, logger: Logger) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM episode WHERE series_id = ? AND season = ? AND episode_num = ?"),
                                       arguments: [series, season, number]) {
            return id
        }
        let publicID = try PublicIDs.choose(for: streamID, in: "episode", db: db, logger: logger)
        try db.cachedStatement(sql: "INSERT INTO episode (public_id, series_id, season, episode_num) VALUES (?, ?, ?, ?)")
            .execute(arguments: [publicID, series, season, number])
        return db.lastInsertedRowID
    }
}
