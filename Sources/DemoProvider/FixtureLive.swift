import CompressNIO
import Foundation
import Hummingbird
import NIOCore

/// What a provider account serves for live TV beyond its lists: the guide (`xmltv.php`, answered here)
/// and catch-up (`/timeshift/…`, `/streaming/timeshift.php`: the test fixture's only, see FixtureTimeshift.swift).
///
/// The guide lists every distinct `epg_channel_id` of the account's `get_live_streams` (spelled as the
/// list spells it) plus ``extraChannels``, each with programmes of ``step`` seconds from ``anchor``
/// (default: `pastDays` before the current hour) for `pastDays + futureDays`, times written in the
/// XMLTV offset ``offsetMinutes``. ``programme(channel:index:anchor:)`` is what a test compares with.
public struct FixtureLive: Sendable {
    public var offsetMinutes = 0
    public var step: Int64 = 3600
    public var pastDays = 4
    public var futureDays = 9
    /// The first programme's start (UTC seconds); nil: `pastDays` before the hour of the request.
    public var anchor: Int64?
    /// Serve the guide as a gzip file (`Content-Type: application/gzip`, as `xmltv.xml.gz` panels do).
    public var gzip = false
    /// Guide channel ids no list names (their programmes are to be dropped by an importer).
    public var extraChannels = ["unlisted.example"]
    /// Bytes of filler added to each description (to make large guides).
    public var descriptionPadding = 0
    /// `server_info.timezone` of the auth answer: the zone catch-up START times are written in.
    public var timezone = "UTC"
    /// Size of every catch-up recording, in bytes (whole 188-byte TS packets).
    public var timeshiftSize = 188 * 2000
    /// Bytes a catch-up answer starts with before the TS packets (PHP warnings, as some panels send).
    public var timeshiftGarbage: [UInt8] = []

    public init() {}

    public func anchor(now: Date) -> Int64 {
        if let anchor { return anchor }
        let seconds = Int64(now.timeIntervalSince1970)
        return seconds - seconds % 3600 - Int64(pastDays) * 86400
    }

    public var programmesPerChannel: Int { Int(Int64(pastDays + futureDays) * 86400 / step) }

    /// Programme `index` of `channel` (as the guide spells it): start, stop, title, description.
    public func programme(channel: String, index: Int, anchor: Int64) -> (start: Int64, stop: Int64, title: String, description: String) {
        let start = anchor + Int64(index) * step
        return (start, start + step, "\(channel) #\(index): News & <Weather>",
                "Programme \(index) of \(channel) — café \"live\"" + String(decoding: [UInt8](repeating: 0x78, count: descriptionPadding), as: UTF8.self))
    }

    /// `YYYYMMDDhhmmss ±hhmm` of `seconds` in this guide's offset.
    public func xmltvTime(_ seconds: Int64) -> String {
        var text = GuideText()
        text.appendTime(seconds, offsetMinutes: offsetMinutes)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    /// Year, month, day of a day count since 1970-01-01 (H. Hinnant's algorithm).
    static func civil(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The guide's channel ids: the list's distinct `epg_channel_id`s in list order, then the extras.
    package static func channels(in account: any ProviderAccount) -> [String] {
        var ids: [String] = []
        var seen = Set<String>()
        let body = account.catalog.listBody("get_live_streams")
        let items = (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) as? [Any] ?? []
        for case let item as [String: Any] in items {
            let id = JSONValue.string(item["epg_channel_id"]).trimmingCharacters(in: .whitespaces)
            if !id.isEmpty, seen.insert(id).inserted { ids.append(id) }
        }
        return ids + account.live.extraChannels.filter { !ids.contains($0) }
    }

    /// The XMLTV text of one channel: its `<channel>` element and its programmes.
    func channelXML(_ channel: String, anchor: Int64) -> [UInt8] {
        var xml = GuideText(capacity: programmesPerChannel * (260 + descriptionPadding))
        xml.append("<channel id=\"")
        xml.appendEscaped(channel)
        xml.append("\"><display-name>")
        xml.appendEscaped(channel)
        xml.append("</display-name></channel>\n")
        for index in 0..<programmesPerChannel {
            let p = programme(channel: channel, index: index, anchor: anchor)
            xml.append("<programme start=\"")
            xml.appendTime(p.start, offsetMinutes: offsetMinutes)
            xml.append("\" stop=\"")
            xml.appendTime(p.stop, offsetMinutes: offsetMinutes)
            xml.append("\" channel=\"")
            xml.appendEscaped(channel)
            xml.append("\"><title lang=\"en\">")
            xml.appendEscaped(p.title)
            xml.append("</title><desc lang=\"en\">")
            xml.appendEscaped(p.description)
            xml.append("</desc></programme>\n")
        }
        return xml.bytes
    }
}

extension ProviderResponder {
    /// `xmltv.php?username=&password=`: the account's guide, written channel by channel (never whole in memory).
    func guide(_ request: Request) -> Response {
        var parameters: [String: String] = [:]
        if let query = request.uri.query { URLText.form(Substring(query), into: &parameters) }
        guard let account = backend.account(parameters["username"] ?? ""), account.password == parameters["password"] else {
            return Self.text(.unauthorized, "bad credentials")
        }
        let live = account.live
        let channels = FixtureLive.channels(in: account)
        let anchor = live.anchor(now: Date())
        let headers: HTTPFields = [.contentType: live.gzip ? "application/gzip" : "application/xml; charset=utf-8"]
        let body = ResponseBody { writer in
            let compressor = live.gzip ? CompressionAlgorithm.gzip().compressor : nil
            try compressor?.startStream()
            func write(_ text: some Sequence<UInt8>, finish: Bool = false) async throws {
                var buffer = ByteBuffer(bytes: text)
                if let compressor {
                    try await writer.write(buffer.compressStream(with: compressor, flush: finish ? .finish : .sync))
                } else {
                    try await writer.write(buffer)
                }
            }
            try await write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tv SYSTEM \"xmltv.dtd\">\n<tv generator-info-name=\"fixture\">\n".utf8)
            for channel in channels { try await write(live.channelXML(channel, anchor: anchor)) }
            try await write("</tv>\n".utf8, finish: true)
            try? compressor?.finishStream()
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
