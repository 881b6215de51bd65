import DemoProvider
import Hummingbird
import NIOCore

/// The test fixture's side of the serving core: each hook applies the account's ``FixtureFaults``, its
/// socket limit and the live controls, or counts into its ``FixtureStats``; the state is ProviderCore.swift's.
extension ProviderCore: ProviderBackend {
    func account(_ username: String) -> (any ProviderAccount)? { lookup(username)?.0 }

    func apiFault(username: String) -> Response? {
        guard let faults = lookup(username)?.1 else { return nil }
        if let status = faults.apiStatus { return ProviderResponder.htmlError(status) }
        if faults.apiGarbage {
            return Response(status: .ok, headers: [.contentType: "text/html; charset=UTF-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "<html>garbage</html>")))
        }
        return nil
    }

    func beforeList(username: String) async throws -> Response? {
        guard let faults = lookup(username)?.1 else { return nil }
        if let delay = faults.firstByteDelay { try await Task.sleep(for: delay) }
        return faults.emptyLists ? ProviderResponder.json("[]") : nil
    }

    func beforeInfo(username: String) async throws {
        if let delay = lookup(username)?.1.infoDelay { try await Task.sleep(for: delay) }
    }

    func admitSocket(username: String, channel: any Channel) -> SocketAdmission {
        guard case .refused(let refusal) = countSocket(username: username, channel: channel) else { return .admitted }
        return Self.socketRefusal(refusal, channel: channel).map { .refused($0) } ?? .dropped
    }

    func streamRefusal(username: String) -> Response? {
        guard let status = lookup(username)?.1.streamStatus else { return nil }
        return ProviderResponder.text(ProviderResponder.status(status), "refused by provider (\(status))")
    }

    func streamFault(_ request: Request, kind: StreamKind, segments: [Substring], username: String, viaLoadBalancer: Bool) -> Response? {
        guard let faults = lookup(username)?.1 else { return nil }
        if request.method == .head, faults.rejectHead { return ProviderResponder.text(.methodNotAllowed, "HEAD not allowed") }
        if faults.redirectStreams, !viaLoadBalancer {
            let token = issueToken()
            let origin = request.head.authority.map { "http://\($0)\(pathPrefix)" } ?? baseURL
            let location = "\(origin)/lb/\(token)/\(kind.rawValue)/\(segments[0])/\(segments[1])/\(segments[2])"
            return Response(status: .found, headers: [.location: location, .contentLength: "0"])
        }
        return nil
    }

    func answered(_ answer: RecordedAnswer, status: Int) {
        var record = FixtureStreamRequest(
            method: answer.request.method.rawValue, kind: answer.kind, streamID: answer.streamID,
            range: answer.request.headers[.range], userAgent: answer.request.headers[.userAgent], status: status,
            viaLoadBalancer: answer.viaLoadBalancer)
        record.timeshiftStart = answer.timeshiftStart
        self.record(record, username: answer.username)
    }

    func chunkDelay(username: String) -> Duration? { lookup(username)?.1.chunkDelay }

    func watchLive(_ channel: Int) -> LiveWatch { live.watch(channel) }

    func fetchedHLS(username: String, channel: Int, segment: Int?) {
        let key = FixtureHLSBook.Key(username: username, channel: channel)
        if let segment { hls.countSegment(key, segment) } else { hls.countPlaylist(key) }
    }

    func extraRoute(_ request: Request, segments: [Substring], responder: ProviderResponder) throws -> Response? {
        if segments.first == "timeshift" { return try responder.timeshift(request, segments: Array(segments.dropFirst())) }
        if segments == ["streaming", "timeshift.php"] { return try responder.timeshift(request, segments: []) }
        return nil
    }
}
