import Foundation
import Hummingbird
import NIOCore

/// Answers every request of a provider on loopback (the demo's panel and the test fixture): `player_api.php`,
/// `xmltv.php`, film, episode and live stream paths, HLS, and `/lb/<token>/` redirect targets. Test
/// behaviour (faults, counters) comes from its ``ProviderBackend``'s hooks, never from here.
package struct ProviderResponder: HTTPResponder {
    package typealias Context = ProviderRequestContext

    package let backend: any ProviderBackend
    /// Every live channel's broadcast (and the clock of the HLS timeline).
    package let broadcast: LiveBroadcast
    package static let chunkSize = 64 * 1024

    package struct DroppedConnection: Error {
        package init() {}
    }

    package init(backend: any ProviderBackend, broadcast: LiveBroadcast) {
        self.backend = backend
        self.broadcast = broadcast
    }

    package func respond(to request: Request, context: Context) async throws -> Response {
        var path = Substring(request.uri.path)
        if !backend.pathPrefix.isEmpty {
            guard path.hasPrefix(backend.pathPrefix + "/") else { return Self.text(.notFound, "not found") }
            path = path.dropFirst(backend.pathPrefix.count)
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()  // leading ""
        guard let first = segments.first else { return Self.text(.notFound, "not found") }
        switch first {
        case "player_api.php" where segments.count == 1:
            var request = request
            return try await api(&request)
        case "xmltv.php" where segments.count == 1:
            return guide(request)
        case "live" where FixtureHLS.handles(segments.dropFirst()), "hlsr":
            return try hls(request, segments: Array(segments.dropFirst()), absolute: first == "hlsr")
        case "live":
            return try await liveStream(request, segments: Array(segments.dropFirst()), channel: context.channel)
        case _ where segments.count == 3 && LiveStreamPath.isShortForm(segments.last!):
            return try await liveStream(request, segments: Array(segments), channel: context.channel)
        case "movie", "series":
            return try await stream(request, kind: StreamKind(rawValue: String(first))!, segments: Array(segments.dropFirst()), viaLoadBalancer: false, channel: context.channel)
        case "lb":
            let rest = Array(segments.dropFirst())
            guard rest.count >= 2, backend.isValidToken(String(rest[0])),
                  let kind = StreamKind(rawValue: String(rest[1]))
            else { return Self.text(.forbidden, "invalid token") }
            return try await stream(request, kind: kind, segments: Array(rest.dropFirst(2)), viaLoadBalancer: true, channel: context.channel)
        default:
            return try backend.extraRoute(request, segments: Array(segments), responder: self) ?? Self.text(.notFound, "not found")
        }
    }

    // MARK: player_api.php

    func api(_ request: inout Request) async throws -> Response {
        guard request.method == .get || request.method == .post else {
            return Self.text(.methodNotAllowed, "method not allowed")
        }
        var parameters: [String: String] = [:]
        if let query = request.uri.query { URLText.form(Substring(query), into: &parameters) }
        if request.method == .post {
            let body = try await request.collectBody(upTo: 1 << 20)
            URLText.form(Substring(String(buffer: body)), into: &parameters)
        }
        let username = parameters["username"] ?? ""
        let password = parameters["password"] ?? ""
        let action = parameters["action"] ?? ""
        var logged: [String: String] = [:]
        for key in ["series_id", "vod_id", "category_id", "stream_id"] { logged[key] = parameters[key] }

        guard backend.beginAPI(username: username, action: action, parameters: logged),
              let account = backend.account(username)
        else { return Self.json(#"{"user_info":{"auth":0}}"#) }
        defer { backend.endAPI(username: username) }

        if let fault = backend.apiFault(username: username) { return fault }
        guard account.password == password else { return Self.json(#"{"user_info":{"auth":0}}"#) }

        switch action {
        case "":
            return authAnswer(account: account, request: request)
        case _ where FixtureCatalog.listActions.contains(action):
            if let answer = try await backend.beforeList(username: username) { return answer }
            // A list filtered by category_id would need parsing; the fixture answers the whole list
            // (xcserver never sends category_id upstream).
            guard let buffer = account.catalog.listBuffer(action) else { return Self.json("[]") }
            return Self.jsonStream(buffer)
        case "get_series_info":
            // Real panels answer an unknown series with PHP empty arrays where objects belong.
            return try await info(parameters["series_id"], account.catalog.seriesInfoSource,
                                  unknown: #"{"seasons":[],"info":[],"episodes":[]}"#, username: username)
        case "get_vod_info":
            // Unknown movie: a bare `[]` (no `info` / `movie_data` keys at all), as several panels do.
            return try await info(parameters["vod_id"], account.catalog.vodInfoSource, unknown: "[]", username: username)
        case "get_short_epg", "get_simple_data_table":
            return Self.json(#"{"epg_listings":[]}"#)
        default:
            return Self.json("[]")
        }
    }

    /// An info action: the stored body of the id asked for, or `unknown` (how the panel answers an id it lacks).
    func info(_ id: String?, _ body: (Int) -> ByteBuffer?, unknown: String, username: String) async throws -> Response {
        try await backend.beforeInfo(username: username)
        guard let id = id.flatMap({ Int($0) }), let buffer = body(id) else { return Self.json(unknown) }
        return Self.jsonStream(buffer)
    }

    func authAnswer(account: any ProviderAccount, request: Request) -> Response {
        let authority = self.authority(request)
        let now = Date()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: now)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let fixedTime = "\(c.year ?? 1970)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
        let answer: [String: Any] = [
            "user_info": [
                "username": account.username,
                "password": account.password,
                "message": "Welcome to the fixture panel",
                "auth": 1,
                "status": "Active",
                "exp_date": "1798761600",
                "is_trial": "0",
                "active_cons": String(backend.openTitleCount(account.username)),
                "created_at": "1700000000",
                "max_connections": String(account.maxConnections),
                "allowed_output_formats": ["m3u8", "ts", "rtmp"],
            ] as [String: Any],
            "server_info": [
                "url": authority.host,
                "port": authority.port,
                "https_port": "",
                "server_protocol": "http",
                "rtmp_port": "",
                "timezone": account.live.timezone,
                "timestamp_now": Int(now.timeIntervalSince1970),
                "time_now": fixedTime,
                "process": true,
            ] as [String: Any],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Host and port the client used (its Host header), else the bound address: what a panel puts in
    /// `server_info` and in redirect URLs.
    func authority(_ request: Request) -> (host: String, port: String) {
        if let authority = request.head.authority, !authority.isEmpty {
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                let host = String(authority[authority.index(after: authority.startIndex) ..< close])
                let rest = authority[authority.index(after: close)...]
                return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : "80")
            }
            if let colon = authority.lastIndex(of: ":") {
                return (String(authority[..<colon]), String(authority[authority.index(after: colon)...]))
            }
            return (authority, "80")
        }
        return (backend.host, String(backend.port))
    }

    // MARK: stream paths

    func stream(_ request: Request, kind: StreamKind, segments: [Substring], viaLoadBalancer: Bool, channel: any Channel) async throws -> Response {
        let isHead = request.method == .head
        guard request.method == .get || isHead else { return Self.text(.methodNotAllowed, "method not allowed") }
        guard segments.count == 3 else { return Self.text(.notFound, "not found") }
        let username = URLText.decode(segments[0], plusAsSpace: false)
        let password = URLText.decode(segments[1], plusAsSpace: false)
        let file = URLText.decode(segments[2], plusAsSpace: false)
        let idText: Substring
        let ext: Substring
        if let dot = file.lastIndex(of: ".") {
            idText = file[..<dot]
            ext = file[file.index(after: dot)...]
        } else {
            idText = file[...]
            ext = ""
        }
        let streamID = Int(idText)
        let answer = RecordedAnswer(backend: backend, request: request, kind: kind.rawValue, streamID: streamID,
                                    username: username, viaLoadBalancer: viaLoadBalancer)
        let account: any ProviderAccount
        switch try admitStream(answer, password: password, channel: channel) {
        case .answered(let response): return response
        case .admitted(let admitted): account = admitted
        }
        if let fault = backend.streamFault(request, kind: kind, segments: segments, username: username, viaLoadBalancer: viaLoadBalancer) {
            return answer(fault)
        }
        guard let streamID,
              kind == .movie ? account.catalog.containsMovie(streamID) : account.catalog.containsEpisode(streamID)
        else { return answer(Self.text(.notFound, "stream not found")) }

        let total = account.size(of: streamID, ext: String(ext))
        let range: Range<Int>
        let status: HTTPResponse.Status
        switch ByteRangeRequest.parse(request.headers[.range], total: total) {
        case .unsatisfiable:
            return answer(Response(
                status: .rangeNotSatisfiable,
                headers: [.contentRange: "bytes */\(total)", .contentType: "text/plain", .contentLength: "0"]))
        case .full:
            range = 0 ..< total
            status = .ok
        case .partial(let partial):
            range = partial
            status = .partialContent
        }

        let admission = backend.admit(username: username, title: TitleKey(kind: kind, id: streamID), isGet: !isHead, bodyLength: range.count)
        guard case .admitted(let lease, let cutAfter) = admission else {
            return answer(Self.text(.forbidden, "max connections"))
        }

        var headers: HTTPFields = [
            .contentType: Self.contentType(ext: ext.lowercased()),
            .acceptRanges: "bytes",
            .contentLength: String(range.count),
        ]
        if status == .partialContent {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(total)"
        }
        if isHead {
            return answer(Response(status: status, headers: headers, body: .init()))
        }

        let source = account.source(of: streamID, ext: String(ext))
        let backend = self.backend
        let body = ResponseBody(contentLength: range.count) { writer in
            defer { lease?.release() }
            let limit = cutAfter ?? range.count
            let reader = try source.open()
            defer { reader.close() }
            var offset = range.lowerBound
            let end = range.lowerBound + limit
            while offset < end {
                let count = min(Self.chunkSize, end - offset)
                let chunk = try reader.read(offset: offset, count: count)
                try await writer.write(chunk)
                backend.addBytes(chunk.readableBytes, username: username)
                offset += count
                // Read per chunk, so a test can slow an open response down or let it finish.
                if offset < end, let delay = backend.chunkDelay(username: username) {
                    try await Task.sleep(for: delay)
                }
            }
            if cutAfter != nil {
                // Give the bytes a moment to reach the socket, then close the connection mid-body.
                try? await Task.sleep(for: .milliseconds(30))
                throw DroppedConnection()
            }
            try await writer.finish(nil)
        }
        return answer(Response(status: status, headers: headers, body: body))
    }

    package static func contentType(ext: String) -> String {
        switch ext {
        case "mkv": "video/x-matroska"
        case "mp4", "m4v": "video/mp4"
        default: "application/octet-stream"
        }
    }

    // MARK: bodies

    package static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
    }

    package static func json(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Small bodies in one write with `Content-Length`; large ones (≥ 64 KiB) in 64 KiB slices of the stored
    /// buffer (no copy) with chunked transfer encoding, as a PHP panel streaming its output does.
    package static func jsonStream(_ buffer: ByteBuffer) -> Response {
        guard buffer.readableBytes >= chunkSize else {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
        }
        let body = ResponseBody { writer in
            var remaining = buffer
            while remaining.readableBytes > 0, let slice = remaining.readSlice(length: min(chunkSize, remaining.readableBytes)) {
                try await writer.write(slice)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }

    /// A status with the reason phrase nginx / XC panels send.
    package static func status(_ code: Int) -> HTTPResponse.Status {
        let phrases = [
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Not Allowed",
            429: "Too Many Requests", 458: "Max Connections Reached", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Temporarily Unavailable", 504: "Gateway Time-out", 509: "Bandwidth Limit Exceeded",
            520: "Unknown Error", 521: "Web Server Is Down",
        ]
        return HTTPResponse.Status(code: code, reasonPhrase: phrases[code] ?? "")
    }

    package static func htmlError(_ status: Int) -> Response {
        let code = Self.status(status)
        let title = "\(status) \(code.reasonPhrase.isEmpty ? "Error" : code.reasonPhrase)"
        let html = "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        return Response(status: code, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
