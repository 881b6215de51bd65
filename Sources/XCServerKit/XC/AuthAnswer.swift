import Foundation
import Hummingbird
import XCModels

/// `player_api.php` without an action: the login answer every client calls first.
enum AuthAnswer {
    /// Wrong credentials, disabled or expired user: HTTP 200 with `auth: 0`, which clients show as
    /// "wrong credentials" (an HTTP error would read as "server down").
    static let rejected: [UInt8] = Array(#"{"user_info":{"auth":0}}"#.utf8)

    static func write(user: User, activeConnections: Int, server: ServerAddress, timeZone: TimeZone = TimeZone(identifier: "UTC")!,
                      now: Date = Date()) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.beginObject()
        json.key("user_info")
        json.beginObject()
        json.member("username", user.username)
        json.member("password", user.password)
        json.member("message", "")
        json.member("auth", 1)
        json.member("status", "Active")
        json.member("exp_date", String(user.expiresAt ?? WireFields.noExpiry))
        json.member("is_trial", "0")
        json.member("active_cons", String(activeConnections))
        json.member("created_at", String(user.createdAt))
        json.member("max_connections", String(user.maxConnections))
        json.key("allowed_output_formats")
        json.raw(#"["m3u8","ts"]"#)
        json.endObject()
        json.key("server_info")
        json.beginObject()
        json.member("url", server.host)
        json.member("port", String(server.port))
        json.member("https_port", "")
        json.member("server_protocol", "http")
        json.member("rtmp_port", "")
        json.member("timezone", timeZone.identifier)
        json.member("timestamp_now", Int64(now.timeIntervalSince1970))
        json.member("time_now", timeZone.secondsFromGMT() == 0 ? timeNow(now) : CivilTime.text(Int64(now.timeIntervalSince1970), in: timeZone))
        json.key("process")
        json.bool(true)
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// `yyyy-MM-dd HH:mm:ss` in UTC, as panels write `time_now`. With `gmtime_r`: every login answer has
    /// one, and a `Calendar` built per answer is work a busy login path does not need.
    static func timeNow(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var c = tm()
        gmtime_r(&seconds, &c)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(c.tm_year + 1900)-\(two(c.tm_mon + 1))-\(two(c.tm_mday)) \(two(c.tm_hour)):\(two(c.tm_min)):\(two(c.tm_sec))"
    }
}

/// Where clients should send stream requests: configured, else the name and port they used to reach us.
struct ServerAddress: Sendable, Equatable {
    var host: String
    var port: Int

    static func from(_ request: Request, config: ServerConfig) -> ServerAddress {
        let (host, port) = parseHost(request.head.authority ?? "127.0.0.1")
        return ServerAddress(host: config.publicHost ?? host, port: config.publicPort ?? port ?? 80)
    }

    /// `name`, `name:8080`, `[::1]:8080`.
    static func parseHost(_ value: String) -> (String, Int?) {
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            let host = String(value[...close])
            let rest = value[value.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = value.lastIndex(of: ":") {
            return (String(value[..<colon]), Int(value[value.index(after: colon)...]))
        }
        return (value, nil)
    }

    /// `http://host:port` for building stream URLs in playlists.
    var baseURL: String { "http://\(host):\(port)" }
}
