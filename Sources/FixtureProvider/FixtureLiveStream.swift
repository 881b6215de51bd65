import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

extension LiveTS {
    private static let cache = NIOLockedValueBox<[Int: LiveTS]>([:])

    /// The embedded `fixtures/media/live.ts` looped at `bitsPerSecond` (made once per bit rate).
    public static func embedded(bitsPerSecond: Int) throws -> LiveTS {
        if let made = cache.withLockedValue({ $0[bitsPerSecond] }) { return made }
        let made = try LiveTS(clip: EmbeddedFixtures.files["media/live.ts"]!, bitsPerSecond: bitsPerSecond)
        cache.withLockedValue { $0[bitsPerSecond] = made }
        return made
    }
}

/// `/live/U/P/ID.ts` and the short form `/U/P/ID.ts` (or `/U/P/ID`) of the fixture provider.
enum LiveStreamPath {
    /// The last segment of a short-form live path: digits, optionally `.ts`.
    static func isShortForm(_ file: Substring) -> Bool {
        let stem = file.hasSuffix(".ts") ? file.dropLast(3) : file
        return !stem.isEmpty && stem.allSatisfy(\.isASCIIDigit)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension ProviderResponder {
    /// A live channel as a panel serves it: an endless paced MPEG-TS joined at the broadcast's current
    /// position. Counted like a film stream (`admit`: `enforceMaxConnections` refuses a connection past the
    /// account's limit; two connections to one channel are two streams but one title) and per socket.
    func liveStream(_ request: Request, segments: [Substring], channel: any Channel) async throws -> Response {
        let isHead = request.method == .head
        guard request.method == .get || isHead else { return Self.text(.methodNotAllowed, "method not allowed") }
        guard segments.count >= 3 else { return Self.text(.notFound, "not found") }
        let username = URLText.decode(segments[0], plusAsSpace: false)
        let password = segments.dropFirst().dropLast().map { URLText.decode($0, plusAsSpace: false) }.joined(separator: "/")
        let file = URLText.decode(segments.last!, plusAsSpace: false)
        let stem = file.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let ext = stem.count > 1 ? String(stem[1]) : ""
        let streamID = Int(stem[0])
        var record = FixtureStreamRequest(
            method: request.method.rawValue, kind: StreamKind.live.rawValue, streamID: streamID,
            range: request.headers[.range], userAgent: request.headers[.userAgent], status: 0, viaLoadBalancer: false)
        func answer(_ response: Response) -> Response { recorded(response, &record, username: username) }
        let account: FixtureAccount
        switch try admitStream(&record, username: username, password: password, channel: channel) {
        case .answered(let response): return response
        case .admitted(let admitted, _): account = admitted
        }
        guard let streamID, ext.isEmpty || ext == "ts", account.catalog.liveCheck(streamID) else {
            return answer(Self.text(.notFound, "stream not found"))
        }
        guard case .admitted(let lease, _) = core.admit(
            username: username, title: TitleKey(kind: .live, id: streamID), isGet: !isHead, bodyLength: Int.max)
        else { return answer(Self.text(.forbidden, "max connections")) }
        let headers: HTTPFields = [.contentType: "video/mp2t"]
        if isHead { return answer(Response(status: .ok, headers: headers, body: .init())) }
        return answer(Response(status: .ok, headers: headers, body: core.live.body(channel: streamID) { lease?.release() }))
    }

    enum StreamGate {
        case admitted(FixtureAccount, FixtureFaults)
        /// Already recorded: send it.
        case answered(Response)
    }

    /// What every stream path checks first, as a panel does: the login (401), the socket limit of a
    /// provider counting sockets (`channel`; nil: not counted), the account's refusal fault.
    func admitStream(_ record: inout FixtureStreamRequest, username: String, password: String, channel: (any Channel)?) throws -> StreamGate {
        guard let (account, faults) = core.lookup(username), account.password == password else {
            return .answered(recorded(Self.text(.unauthorized, "bad credentials"), &record, username: username))
        }
        if let channel, case .refused(let refusal) = core.admitSocket(username: username, channel: channel) {
            guard let response = ProviderCore.socketRefusal(refusal, channel: channel) else {
                record.status = 0
                core.record(record, username: username)
                throw DroppedConnection()
            }
            return .answered(recorded(response, &record, username: username))
        }
        if let status = faults.streamStatus {
            return .answered(recorded(Self.text(Self.status(status), "refused by provider (\(status))"), &record, username: username))
        }
        return .admitted(account, faults)
    }

    /// Records `response` as the answer to `record` and returns it.
    func recorded(_ response: Response, _ record: inout FixtureStreamRequest, username: String) -> Response {
        record.status = Int(response.status.code)
        core.record(record, username: username)
        return response
    }
}

extension FixtureCatalog {
    /// Live channels only, in one category: stream ids `ids`, named "`prefix` ID", guide ids
    /// "`prefix`ID.tv" (lower-cased), no archive. What the live tests and the live benchmark watch.
    public static func channels(_ ids: [Int], prefix: String) throws -> FixtureCatalog {
        let items = ids.map { id in
            #"{"num":\#(id),"name":"\#(prefix) \#(id)","stream_type":"live","stream_id":\#(id),"stream_icon":"","epg_channel_id":"\#(prefix.lowercased())\#(id).tv","category_id":"1","tv_archive":0}"#
        }
        return try FixtureCatalog(lists: [
            "get_live_categories": Array(#"[{"category_id":"1","category_name":"\#(prefix)","parent_id":0}]"#.utf8),
            "get_live_streams": Array("[\(items.joined(separator: ","))]".utf8),
        ])
    }
}
