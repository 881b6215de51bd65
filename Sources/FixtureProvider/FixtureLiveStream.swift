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
        func answer(_ response: Response) -> Response {
            record.status = Int(response.status.code)
            core.record(record, username: username)
            return response
        }
        guard let (account, faults) = core.lookup(username), account.password == password else {
            return answer(Self.text(.unauthorized, "bad credentials"))
        }
        if case .refused(let refusal) = core.admitSocket(username: username, channel: channel) {
            guard let response = ProviderCore.socketRefusal(refusal, channel: channel) else {
                record.status = 0
                core.record(record, username: username)
                throw DroppedConnection()
            }
            return answer(response)
        }
        if let status = faults.streamStatus {
            return answer(Self.text(Self.status(status), "refused by provider (\(status))"))
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
}
