import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XCModels

/// HLS live through xcserver: `GET|HEAD /live/U/P/ID.m3u8` opens (or continues) the device's viewing of the
/// channel and answers the provider's playlist with every URI rewritten to `/hls/TOKEN.EXT`; `/hls/TOKEN…`
/// answers what the token stands for: a variant playlist (rewritten in turn) or a segment, from the shared
/// `HLSSegmentCache`.
///
/// The viewing is an HLS one (`ViewerKey` kind `.hls`): its slot shares the channel's HLS upstream with
/// every other HLS viewer in the account's load, but not the TS one, which is another provider connection.
/// It holds its `SlotLease` in `HLSViewings` until the player stops asking (docs/live-streaming.md, "HLS").
struct HLSController: RouteGroup {
    let services: AppServices

    /// Largest playlist and segment passed on (a bigger answer is a provider fault: 502).
    static let playlistLimit = 1 << 20
    static let segmentLimit = 32 << 20
    /// How long one upstream playlist answer serves every viewer: well under a target duration, so a live
    /// window never looks stuck, yet two TVs reloading together cost one fetch.
    static let playlistTTL: Duration = .seconds(1)
    /// Segments are kept this many target durations (a player fetches a segment within about one).
    static let segmentTTLTargets = 3
    static let mpegURL = "application/vnd.apple.mpegurl"

    func register(on router: some RouterMethods<XCRequestContext>) {
        router.get("hls/**") { request, context in await token(request, context, head: false) }
        router.head("hls/**") { request, context in await token(request, context, head: true) }
    }

    // MARK: /live/U/P/ID.m3u8

    /// `path`: `/live/U/P/ID.m3u8` or the short form `/U/P/ID.m3u8`, as `LiveStreamController` parsed it.
    func channelPlaylist(_ path: LivePath, _ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        guard let login = try await services.authenticate(username: path.username, password: path.password).login else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let rows = try await services.store.channelCandidates(publicID: path.id, scope: CatalogScope(login))
        guard let first = rows.first else { return .text("no channel with id \(path.id)", status: .notFound) }
        let title = StreamTitle(contentID: first.candidate.contentID, targets: rows.map {
            StreamTarget($0.candidate, kind: .live, containerExtension: "m3u8")
        })
        let clientIP = ClientAddress(trustedProxies: services.config.trustedProxies)
            .resolve(peer: context.clientIP, forwardedFor: request.headers[values: StreamController.forwardedFor].joined(separator: ","))
        let viewer = ViewerKey(userID: login.user.id!, clientIP: clientIP, kind: .hls, contentID: title.contentID)
        let slot = SlotRequest(key: viewer, userMaxConnections: login.user.maxConnections,
                               candidates: title.targets.map(\.candidate), isHead: head)
        let userAgent = request.headers[.userAgent]

        if head {
            // A HEAD is admitted like a GET (docs/slots.md) but opens no viewing.
            do { try await services.slots.acquire(slot).release() } catch { return StreamController.refused(error) }
            return Response(status: .ok, headers: [.contentType: Self.mpegURL, .cacheControl: "no-cache"])
        }
        if let viewing = services.hls.running(viewer) {
            switch await fetch(viewing.target.url, target: viewing.target, ttl: Self.playlistTTL, limit: Self.playlistLimit, userAgent: userAgent) {
            case .success(let body): return playlistResponse(body, viewer: viewer, viewing: viewing)
            case .failure(let failure): return failed(failure, what: "the playlist", viewing: viewing)
            }
        }

        let lease: SlotLease
        do { lease = try await services.acquireSlot(slot) } catch { return StreamController.refused(error) }
        // Before the first playlist reaches the player, a failing account hands the viewing to the next one.
        var lastFailure = "no account answered"
        for _ in 0...(title.targets.count + 2) {
            guard let target = title.target(for: lease.candidate) else { break }
            switch await fetch(target.url, target: target, ttl: Self.playlistTTL, limit: Self.playlistLimit, userAgent: userAgent) {
            case .failure(let failure):
                lastFailure = "\(target.candidate.accountName): \(failure.text)"
                guard case .refused(let reason) = failure, (try? lease.failover(reason: reason)) != nil else {
                    lease.release()
                    return Self.allFailed(lastFailure)
                }
            case .success(let body):
                guard lease.headDelivered() else {
                    // A sibling request of this viewing (its TS stream) moved the slot meanwhile: follow it.
                    lastFailure = "\(target.candidate.accountName): slot moved by another request of this viewing"
                    if (try? lease.failover(reason: .connectError)) != nil { continue }
                    lease.release()
                    return Self.allFailed(lastFailure)
                }
                let viewing = services.hls.start(viewer, lease: lease, target: target, channelID: path.id)
                return playlistResponse(body, viewer: viewer, viewing: viewing)
            }
        }
        lease.release()
        return Self.allFailed(lastFailure)
    }

    static func allFailed(_ last: String) -> Response {
        .text("every provider account failed for this channel (last: \(last))", status: .badGateway)
    }

    // MARK: /hls/TOKEN.EXT

    static let unknownToken = "unknown or expired HLS link (links end with their viewing, or 30 s unused); open the channel again"

    func token(_ request: Request, _ context: XCRequestContext, head: Bool) async -> Response {
        let file = request.uri.path.split(separator: "/").last ?? ""
        let token = String(file.split(separator: ".", maxSplits: 1).first ?? "")
        guard let (link, viewing) = services.hls.resolve(token) else { return .text(Self.unknownToken, status: .notFound) }
        let userAgent = request.headers[.userAgent]
        switch link.kind {
        case .playlist:
            switch await fetch(link.url, target: viewing.target, ttl: Self.playlistTTL, limit: Self.playlistLimit, userAgent: userAgent) {
            case .success(let body):
                let response = playlistResponse(body, viewer: link.viewer, viewing: viewing)
                return head ? Response(status: response.status, headers: response.headers) : response
            case .failure(let failure): return failed(failure, what: "a variant playlist", viewing: viewing)
            }
        case .segment:
            let ttl = services.hls.targetDuration(link.viewer) * Self.segmentTTLTargets
            switch await fetch(link.url, target: viewing.target, ttl: ttl, limit: Self.segmentLimit, userAgent: userAgent) {
            case .success(let body):
                let headers: HTTPFields = [.contentType: body.contentType ?? "video/mp2t", .contentLength: String(body.bytes.readableBytes)]
                if head { return Response(status: .ok, headers: headers) }
                viewing.lease.addBytes(body.bytes.readableBytes)
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body.bytes))
            case .failure(let failure): return failed(failure, what: "a segment", viewing: viewing)
            }
        }
    }

    // MARK: Upstream and answers

    /// `url` from the viewing's account (its user agent, else the player's), through the shared cache.
    func fetch(_ url: String, target: StreamTarget, ttl: Duration, limit: Int, userAgent: String?) async -> HLSFetch {
        var absolute = target
        absolute.baseURL = ""
        absolute.upstreamPath = url
        let request = absolute
        let upstream = services.upstream
        return await services.hls.cache.fetch(url, ttl: ttl) {
            switch await upstream.send(request, method: .GET, range: nil, clientUserAgent: userAgent) {
            case .failed(let reason): return .failure(.refused(reason))
            case .opened(let response, _):
                guard response.status == .ok else { return .failure(.refused(.status(Int(response.status.code)))) }
                do {
                    let bytes = try await response.body.collect(upTo: limit)
                    return .success(HLSUpstreamBody(bytes: bytes, contentType: response.headers.first(name: "Content-Type"),
                                                    url: response.url?.absoluteString ?? url))
                } catch is NIOTooManyBytesError {
                    return .failure(.tooLarge(limit))
                } catch {
                    return .failure(.dropped)
                }
            }
        }
    }

    /// The playlist with every URI replaced by a token URL of this viewing; the extension of a segment's
    /// own path is kept (players that pick a demuxer by extension), `.ts` when it has none.
    func playlistResponse(_ body: HLSUpstreamBody, viewer: ViewerKey, viewing: HLSViewings.Viewing) -> Response {
        let text = String(buffer: body.bytes)
        guard let base = URL(string: body.url) else {
            return .text("the provider's playlist address cannot be read", status: .badGateway)
        }
        if let seconds = HLSPlaylist.targetDuration(text) { services.hls.setTargetDuration(viewer, seconds: seconds) }
        var ended = false
        let rewritten: String
        do {
            rewritten = try HLSPlaylist.rewrite(text, base: base) { url, kind in
                guard let token = services.hls.token(for: HLSLink(url: url.absoluteString, kind: kind, viewer: viewer)) else {
                    ended = true
                    return ""
                }
                return "/hls/\(token).\(Self.tokenExtension(url, kind))"
            }
        } catch {
            services.logger.info("[live] \(viewing.target.candidate.accountName): channel \(viewing.channelID) answered something that is not an HLS playlist")
            return .text("\(error)", status: .badGateway)
        }
        guard !ended else { return .text(Self.unknownToken, status: .notFound) }
        let bytes = ByteBuffer(string: rewritten)
        viewing.lease.addBytes(bytes.readableBytes)
        return Response(status: .ok, headers: [.contentType: Self.mpegURL, .cacheControl: "no-cache", .contentLength: String(bytes.readableBytes)],
                        body: ResponseBody(byteBuffer: bytes))
    }

    static func tokenExtension(_ url: URL, _ kind: HLSPlaylist.Link) -> String {
        if kind == .playlist { return "m3u8" }
        let ext = url.pathExtension.lowercased()
        return !ext.isEmpty && ext.count <= 5 && ext.allSatisfy({ $0.isLetter || $0.isNumber }) && ext != "m3u8" ? ext : "ts"
    }

    /// An upstream failure after the viewing started: it stays (the player retries), the player learns why.
    func failed(_ failure: HLSUpstreamFailure, what: String, viewing: HLSViewings.Viewing) -> Response {
        let account = viewing.target.candidate.accountName
        services.logger.info("[live] \(account): \(what) of channel \(viewing.channelID) failed: \(failure.text)")
        if case .refused(.status(let code)) = failure, code == 404 || code == 410 {
            return .text("the provider no longer has \(what) of this channel (it left the live window); reload the playlist", status: .notFound)
        }
        return .text("the provider did not deliver \(what) of this channel (\(account): \(failure.text)); try again", status: .badGateway)
    }
}

extension HLSUpstreamFailure {
    var text: String {
        switch self {
        case .refused(let reason): "\(reason)"
        case .tooLarge(let limit): "answer larger than \(limit) bytes"
        case .dropped: "connection dropped mid-answer"
        }
    }
}
