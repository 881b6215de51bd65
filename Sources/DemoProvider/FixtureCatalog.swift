import Foundation
import NIOCore

/// What one provider account lists, kept as the raw JSON bytes a provider sends, so messy shapes
/// (numbers as strings, `null`, `false`, arrays where objects are expected) reach the client untouched.
public struct FixtureCatalog: Sendable {
    /// action -> body, for the list actions.
    let lists: [String: ByteBuffer]
    /// series_id -> `get_series_info` body; nil = unknown series.
    let seriesInfoSource: @Sendable (Int) -> ByteBuffer?
    /// vod_id -> `get_vod_info` body; nil = unknown movie.
    let vodInfoSource: @Sendable (Int) -> ByteBuffer?
    let movieCheck: @Sendable (Int) -> Bool
    let episodeCheck: @Sendable (Int) -> Bool
    /// Live stream ids the account serves at `/live/U/P/ID.ts` (every id for a generated catalog).
    package let liveCheck: @Sendable (Int) -> Bool

    /// The list actions a catalog answers from bytes.
    public static let listActions = [
        "get_vod_categories", "get_vod_streams", "get_series_categories", "get_series",
        "get_live_categories", "get_live_streams",
    ]

    package init(
        lists: [String: ByteBuffer],
        seriesInfo: @escaping @Sendable (Int) -> ByteBuffer?,
        vodInfo: @escaping @Sendable (Int) -> ByteBuffer?,
        hasMovie: @escaping @Sendable (Int) -> Bool,
        hasEpisode: @escaping @Sendable (Int) -> Bool,
        hasLive: @escaping @Sendable (Int) -> Bool = { _ in true }
    ) {
        self.liveCheck = hasLive
        self.lists = lists
        self.seriesInfoSource = seriesInfo
        self.vodInfoSource = vodInfo
        self.movieCheck = hasMovie
        self.episodeCheck = hasEpisode
    }

    /// A catalog with nothing in it (every list `[]`).
    public static let empty = FixtureCatalog(
        lists: [:], seriesInfo: { _ in nil }, vodInfo: { _ in nil }, hasMovie: { _ in false }, hasEpisode: { _ in false },
        hasLive: { _ in false })

    /// A catalog from raw bodies. `lists` is keyed by action (`get_vod_streams`, ...); missing lists answer `[]`.
    /// Movie ids are read from `get_vod_streams` (`stream_id` as number or numeric string; items without one
    /// cannot be streamed), episode ids from every `seriesInfo` body (`episodes` as object or array).
    /// `get_vod_info` for a listed movie without a `vodInfo` body is synthesized from its list item.
    public init(lists: [String: [UInt8]], seriesInfo: [Int: [UInt8]] = [:], vodInfo: [Int: [UInt8]] = [:]) throws {
        var buffers: [String: ByteBuffer] = [:]
        for (action, bytes) in lists { buffers[action] = ByteBuffer(bytes: bytes) }

        var movieIDs = Set<Int>()
        var synthesized: [Int: ByteBuffer] = [:]
        if let bytes = lists["get_vod_streams"] {
            let items = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [Any] ?? []
            for case let item as [String: Any] in items {
                guard let id = JSONValue.int(item["stream_id"]) else { continue }
                movieIDs.insert(id)
                if vodInfo[id] == nil { synthesized[id] = Self.synthesizedVodInfo(item: item, id: id) }
            }
        }
        var liveIDs = Set<Int>()
        if let bytes = lists["get_live_streams"] {
            let items = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [Any] ?? []
            for case let item as [String: Any] in items {
                if let id = JSONValue.int(item["stream_id"]) { liveIDs.insert(id) }
            }
        }
        var episodeIDs = Set<Int>()
        var infos: [Int: ByteBuffer] = [:]
        for (seriesID, bytes) in seriesInfo {
            infos[seriesID] = ByteBuffer(bytes: bytes)
            let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            guard let dictionary = object as? [String: Any] else { continue }
            var seasons: [Any] = []
            if let byKey = dictionary["episodes"] as? [String: Any] {
                seasons = Array(byKey.values)
            } else if let array = dictionary["episodes"] as? [Any] {
                seasons = array
            }
            for case let episodes as [Any] in seasons {
                for case let episode as [String: Any] in episodes {
                    if let id = JSONValue.int(episode["id"]) { episodeIDs.insert(id) }
                }
            }
        }
        var vodInfos = synthesized
        for (id, bytes) in vodInfo { vodInfos[id] = ByteBuffer(bytes: bytes) }

        let frozenMovies = movieIDs
        let frozenEpisodes = episodeIDs
        let frozenInfos = infos
        let frozenVod = vodInfos
        let frozenLive = liveIDs
        self.init(
            lists: buffers,
            seriesInfo: { frozenInfos[$0] },
            vodInfo: { frozenVod[$0] },
            hasMovie: { frozenMovies.contains($0) },
            hasEpisode: { frozenEpisodes.contains($0) },
            hasLive: { frozenLive.contains($0) }
        )
    }

    /// Loads `fixtures/<account>/`: `get_vod_categories.json`, `get_vod_streams.json`,
    /// `get_series_categories.json`, `get_series.json`, `series_info/<series_id>.json`, optionally
    /// `vod_info/<stream_id>.json` (and `get_live_*.json`). Bytes are served exactly as stored.
    public static func directory(_ url: URL) throws -> FixtureCatalog {
        let fm = FileManager.default
        var files: [String: [UInt8]] = [:]
        for action in listActions {
            let file = url.appendingPathComponent("\(action).json")
            if fm.fileExists(atPath: file.path) { files["\(action).json"] = [UInt8](try Data(contentsOf: file)) }
        }
        for folder in ["series_info", "vod_info"] {
            let dir = url.appendingPathComponent(folder)
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasSuffix(".json") {
                files["\(folder)/\(name)"] = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            }
        }
        return try FixtureCatalog(files: files, source: url.path)
    }

    /// The copy of `fixtures/<account>/` compiled into the binary (see ``EmbeddedFixtures``): what
    /// `DemoAccount.alpha()` and `FixtureAccount.alpha()` (and `.beta()`) serve, with no file system access.
    public static func embedded(_ account: String) throws -> FixtureCatalog {
        try FixtureCatalog(files: EmbeddedFixtures.folder(account), source: "embedded fixtures/\(account)")
    }

    /// A catalog from the files of an account folder, keyed by path inside it (`get_vod_streams.json`,
    /// `series_info/501.json`); `source` names the folder in errors.
    init(files: [String: [UInt8]], source: String) throws {
        var lists: [String: [UInt8]] = [:]
        for action in Self.listActions { lists[action] = files["\(action).json"] }
        guard lists["get_vod_streams"] != nil || lists["get_series"] != nil else {
            throw FixtureCatalogError.notACatalogDirectory(source)
        }
        func numbered(_ folder: String) -> [Int: [UInt8]] {
            var result: [Int: [UInt8]] = [:]
            for (path, bytes) in files where path.hasPrefix(folder + "/") && path.hasSuffix(".json") {
                guard let id = Int(path.dropFirst(folder.count + 1).dropLast(5)) else { continue }
                result[id] = bytes
            }
            return result
        }
        try self.init(lists: lists, seriesInfo: numbered("series_info"), vodInfo: numbered("vod_info"))
    }

    /// The raw body a list action answers (`[]` when the catalog has none).
    public func listBody(_ action: String) -> [UInt8] {
        guard let buffer = lists[action] else { return Array("[]".utf8) }
        return Array(buffer.readableBytesView)
    }

    /// The raw `get_series_info` body, nil for an unknown series.
    public func seriesInfo(_ seriesID: Int) -> [UInt8]? {
        seriesInfoSource(seriesID).map { Array($0.readableBytesView) }
    }

    /// The raw `get_vod_info` body, nil for an unknown movie.
    public func vodInfo(_ vodID: Int) -> [UInt8]? {
        vodInfoSource(vodID).map { Array($0.readableBytesView) }
    }

    /// Whether `/movie/U/P/<id>.ext` streams (the id is a `stream_id` of `get_vod_streams`).
    public func containsMovie(_ streamID: Int) -> Bool { movieCheck(streamID) }
    /// Whether `/series/U/P/<id>.ext` streams (the id is an episode `id` of some `get_series_info`).
    public func containsEpisode(_ episodeID: Int) -> Bool { episodeCheck(episodeID) }

    package func listBuffer(_ action: String) -> ByteBuffer? { lists[action] }

    /// A `get_vod_info` answer built from a list item (panels without tmdb detail answer about that much).
    static func synthesizedVodInfo(item: [String: Any], id: Int) -> ByteBuffer {
        let name = JSONValue.string(item["name"])
        let icon = JSONValue.string(item["stream_icon"])
        let info: [String: Any] = [
            "tmdb_id": JSONValue.string(item["tmdb"]),
            "name": name, "o_name": name, "cover_big": icon, "movie_image": icon, "releasedate": "",
            "youtube_trailer": "", "director": "", "actors": "", "cast": "", "description": "", "plot": "",
            "age": "", "country": "", "genre": "", "backdrop_path": [String](), "duration_secs": 0,
            "duration": "00:00:00", "video": [String](), "audio": [String](), "bitrate": 0,
            "rating": JSONValue.string(item["rating"]),
        ]
        var movieData: [String: Any] = [
            "stream_id": id, "name": name, "added": JSONValue.string(item["added"]),
            "category_id": JSONValue.string(item["category_id"]),
            "container_extension": JSONValue.string(item["container_extension"]),
            "custom_sid": "", "direct_source": "",
        ]
        if let ids = item["category_ids"] { movieData["category_ids"] = ids }
        let data = (try? JSONSerialization.data(withJSONObject: ["info": info, "movie_data": movieData], options: [.sortedKeys]))
            ?? Data("[]".utf8)
        return ByteBuffer(bytes: data)
    }
}

public enum FixtureCatalogError: Error, CustomStringConvertible {
    case notACatalogDirectory(String)

    public var description: String {
        switch self {
        case .notACatalogDirectory(let path): "\(path) holds no get_vod_streams.json or get_series.json"
        }
    }
}

/// Reading loosely typed provider JSON (JSONSerialization values).
package enum JSONValue {
    package static func int(_ value: Any?) -> Int? {
        switch value {
        case let string as String: return Int(string.trimmingCharacters(in: .whitespaces))
        case let number as NSNumber:
            // JSON `true`/`false` arrive as NSNumber too (`__NSCFBoolean` on Darwin and Linux): not an id.
            if String(describing: type(of: number)) == "__NSCFBoolean" { return nil }
            let double = number.doubleValue
            guard double.isFinite, double == double.rounded(.towardZero) else { return nil }
            return number.intValue
        default: return nil
        }
    }

    /// A string as a lenient reader sees it: numbers spelled out, `null`/`false`/missing as "".
    package static func string(_ value: Any?) -> String {
        switch value {
        case let string as String: return string
        case let number as NSNumber:
            if String(describing: type(of: number)) == "__NSCFBoolean" { return "" }
            return number.description
        default: return ""
        }
    }
}
