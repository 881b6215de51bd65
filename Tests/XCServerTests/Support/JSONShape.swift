import Sync
import Testing

/// The JSON type a field must have on the wire (docs/xc-wire.md): clients break on the wrong one.
enum JSONType: CustomStringConvertible {
    /// `integer`: a string holding a whole number (`"1700000000"`), never `""`: clients run `int()` on it.
    case string, integer, number, array, object, bool

    func matches(_ value: ProviderValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.number, .number), (.array, .array), (.object, .object), (.bool, .bool): return true
        case (.integer, .string(let text)): return !text.isEmpty && text.utf8.allSatisfy { (48...57).contains($0) }
        default: return false
        }
    }

    var description: String {
        switch self {
        case .string: "string"
        case .integer: "whole number as a string"
        case .number: "number"
        case .array: "array"
        case .object: "object"
        case .bool: "bool"
        }
    }
}

enum Shapes {
    static let vodStream: [String: JSONType] = [
        "num": .number, "name": .string, "stream_type": .string, "stream_id": .number, "stream_icon": .string,
        "rating": .string, "rating_5based": .number, "added": .integer, "is_adult": .integer, "category_id": .integer,
        "category_ids": .array, "container_extension": .string, "custom_sid": .string, "direct_source": .string,
        "tmdb": .string, "trailer": .string,
    ]
    static let seriesFields: [String: JSONType] = [
        "name": .string, "cover": .string, "plot": .string, "cast": .string, "director": .string, "genre": .string,
        "releaseDate": .string, "release_date": .string, "last_modified": .integer, "rating": .string,
        "rating_5based": .number, "backdrop_path": .array, "youtube_trailer": .string, "tmdb": .string,
        "episode_run_time": .string, "category_id": .integer, "category_ids": .array,
    ]
    static let seriesItem = seriesFields.merging(["num": .number, "series_id": .number]) { $1 }
    static let category: [String: JSONType] = ["category_id": .integer, "category_name": .string, "parent_id": .number]
    static let vodInfo: [String: JSONType] = [
        "tmdb_id": .string, "name": .string, "o_name": .string, "cover_big": .string, "movie_image": .string,
        "releasedate": .string, "release_date": .string, "youtube_trailer": .string, "director": .string, "actors": .string, "cast": .string,
        "description": .string, "plot": .string, "age": .string, "country": .string, "genre": .string,
        "backdrop_path": .array, "duration_secs": .number, "duration": .string, "video": .object, "audio": .object,
        "bitrate": .number, "rating": .string,
    ]
    static let movieData: [String: JSONType] = [
        "stream_id": .number, "name": .string, "added": .integer, "category_id": .integer, "category_ids": .array,
        "container_extension": .string, "custom_sid": .string, "direct_source": .string,
    ]
    static let season: [String: JSONType] = [
        "air_date": .string, "episode_count": .number, "id": .number, "name": .string, "overview": .string,
        "season_number": .number, "vote_average": .number, "cover": .string, "cover_big": .string,
    ]
    static let episode: [String: JSONType] = [
        "id": .string, "episode_num": .number, "title": .string, "container_extension": .string, "info": .object,
        "custom_sid": .string, "added": .integer, "season": .number, "direct_source": .string,
    ]
    static let episodeInfo: [String: JSONType] = [
        "tmdb_id": .number, "releasedate": .string, "plot": .string, "duration_secs": .number, "duration": .string,
        "movie_image": .string, "bitrate": .number, "rating": .string, "season": .string, "cover_big": .string,
    ]
    static let userInfo: [String: JSONType] = [
        "username": .string, "password": .string, "message": .string, "auth": .number, "status": .string,
        "exp_date": .integer, "is_trial": .string, "active_cons": .integer, "created_at": .integer,
        "max_connections": .integer, "allowed_output_formats": .array,
    ]
    static let serverInfo: [String: JSONType] = [
        "url": .string, "port": .string, "https_port": .string, "server_protocol": .string, "rtmp_port": .string,
        "timezone": .string, "timestamp_now": .number, "time_now": .string, "process": .bool,
    ]
}

/// Every field of `shape` present with its type; records an issue naming the field otherwise.
func expectShape(_ value: ProviderValue?, _ shape: [String: JSONType], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let object = value?.object else {
        Issue.record("\(what): expected an object, got \(String(describing: value))", sourceLocation: sourceLocation)
        return
    }
    for (key, type) in shape {
        guard let field = object[key] else {
            Issue.record("\(what): missing \(key)", sourceLocation: sourceLocation)
            continue
        }
        if !type.matches(field) {
            Issue.record("\(what): \(key) should be a \(type), is \(field)", sourceLocation: sourceLocation)
        }
    }
}

/// Paths of every `null` in a document: none may reach a client.
func nullPaths(in value: ProviderValue, path: String = "$") -> [String] {
    switch value {
    case .null: return [path]
    case .array(let values): return values.enumerated().flatMap { nullPaths(in: $1, path: "\(path)[\($0)]") }
    case .object(let fields): return fields.flatMap { nullPaths(in: $1, path: "\(path).\($0)") }
    default: return []
    }
}
