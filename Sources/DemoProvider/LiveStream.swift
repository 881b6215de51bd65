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

/// `/live/U/P/ID.ts` and the short form `/U/P/ID.ts` (or `/U/P/ID`).
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
    /// position. Admitted like a film stream (two connections to one channel are two streams but one
    /// title) and per socket.
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
        let answer = RecordedAnswer(backend: backend, request: request, kind: StreamKind.live.rawValue, streamID: streamID, username: username)
        let account: any ProviderAccount
        switch try admitStream(answer, password: password, channel: channel) {
        case .answered(let response): return response
        case .admitted(let admitted): account = admitted
        }
        guard let streamID, ext.isEmpty || ext == "ts", account.catalog.liveCheck(streamID) else {
            return answer(Self.text(.notFound, "stream not found"))
        }
        guard case .admitted(let lease, _) = backend.admit(
            username: username, title: TitleKey(kind: .live, id: streamID), isGet: !isHead, bodyLength: Int.max)
        else { return answer(Self.text(.forbidden, "max connections")) }
        let headers: HTTPFields = [.contentType: "video/mp2t"]
        if isHead { return answer(Response(status: .ok, headers: headers, body: .init())) }
        let backend = self.backend
        return answer(Response(status: .ok, headers: headers,
                               body: broadcast.body(watch: { backend.watchLive(streamID) }) { lease?.release() }))
    }

    package enum StreamGate {
        case admitted(any ProviderAccount)
        /// Already recorded: send it.
        case answered(Response)
    }

    /// What every stream path checks first, as a panel does: the login (401), the socket limit of a
    /// provider counting sockets (`channel`; nil: not counted), the account's refusal.
    package func admitStream(_ answer: RecordedAnswer, password: String, channel: (any Channel)?) throws -> StreamGate {
        let username = answer.username
        guard let account = backend.account(username), account.password == password else {
            return .answered(answer(Self.text(.unauthorized, "bad credentials")))
        }
        if let channel {
            switch backend.admitSocket(username: username, channel: channel) {
            case .admitted: break
            case .refused(let response): return .answered(answer(response))
            case .dropped:
                answer.record(status: 0)
                throw DroppedConnection()
            }
        }
        if let refusal = backend.streamRefusal(username: username) { return .answered(answer(refusal)) }
        return .admitted(account)
    }
}

/// One request on a stream path being answered: the backend hears of it with the status it gets
/// (`answer(response)`), whatever way it is answered.
package struct RecordedAnswer {
    package let backend: any ProviderBackend
    package let request: Request
    /// `movie`, `series`, `live`, `hls` or `timeshift`.
    package let kind: String
    package let streamID: Int?
    package let username: String
    package let viaLoadBalancer: Bool
    /// The START a catch-up request asked for, as sent.
    package var timeshiftStart: String?

    package init(backend: any ProviderBackend, request: Request, kind: String, streamID: Int?, username: String, viaLoadBalancer: Bool = false) {
        self.backend = backend
        self.request = request
        self.kind = kind
        self.streamID = streamID
        self.username = username
        self.viaLoadBalancer = viaLoadBalancer
    }

    /// Tells the backend of the request with `status` (0: closed without an answer).
    package func record(status: Int) { backend.answered(self, status: status) }

    /// Records the request with `response`'s status; returns `response`.
    package func callAsFunction(_ response: Response) -> Response {
        record(status: Int(response.status.code))
        return response
    }
}
