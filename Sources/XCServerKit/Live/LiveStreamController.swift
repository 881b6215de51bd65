import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import XCModels

/// `GET|HEAD /live/U/P/ID.ts`, `/U/P/ID` and `/U/P/ID.ts`: a live channel through the slot core, one
/// upstream shared by every viewer (docs/live-streaming.md).
///
/// The viewing's slot is a live slot of the channel: the slot core counts one provider connection per
/// channel and relation whoever watches it, and each viewing against its own login. The bytes come from
/// the channel's `LiveFanout` in the `LiveHub`: the first viewer's request starts the channel's reader,
/// later ones join it at the newest entry point. `?utc=` on a live URL is catch-up (`CatchUpController`).
struct LiveStreamController: RouteGroup {
    let services: AppServices

    func register(on router: some RouterMethods<XCRequestContext>) {
        router.get("live/**") { request, context in try await route(request, context, head: false) }
        router.head("live/**") { request, context in try await route(request, context, head: true) }
    }

    static let usage = "not a live stream path; expected /live/USER/PASS/ID.ts (or .m3u8)"

    func route(_ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        if request.uri.queryParameters["utc"] != nil {
            return try await CatchUpController(services: services).live(request, context, head: head)
        }
        guard let path = LivePath(path: request.uri.path) else { return .text(Self.usage, status: .notFound) }
        return try await serve(path, request, context, head: head)
    }

    func serve(_ path: LivePath, _ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        if path.isHLS { return try await HLSController(services: services).channelPlaylist(path, request, context, head: head) }
        guard let login = try await services.authenticate(username: path.username, password: path.password).login else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let rows = try await services.store.channelCandidates(publicID: path.id, scope: CatalogScope(login))
        guard let first = rows.first else { return .text("no channel with id \(path.id)", status: .notFound) }
        let targets = rows.map { StreamTarget(live: $0.candidate) }
        let contentID = first.candidate.contentID
        let clientIP = ClientAddress(trustedProxies: services.config.trustedProxies)
            .resolve(peer: context.clientIP, forwardedFor: request.headers[values: StreamController.forwardedFor].joined(separator: ","))
        let key = ViewerKey(userID: login.user.id!, clientIP: clientIP, kind: .live, contentID: contentID)
        let lease: SlotLease
        do {
            lease = try await services.acquireSlot(SlotRequest(
                key: key, userMaxConnections: login.user.maxConnections, candidates: targets.map(\.candidate), isHead: head))
        } catch {
            return StreamController.refused(error)
        }
        let headers: HTTPFields = [.contentType: "video/mp2t", .cacheControl: "no-store"]
        if head {
            // A HEAD is a player's probe: it holds the slot like a request (the GET that follows reuses it)
            // but opens nothing upstream.
            lease.headDelivered()
            lease.release()
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let hub = services.live
        let channel = LiveHub.Channel(contentID: contentID, relationID: lease.candidate.relationID)
        let reader = LiveChannelReader(services: services, contentID: contentID, publicID: path.id, targets: targets,
                                       clientUserAgent: request.headers[.userAgent])
        let attachment = hub.attach(channel, publicID: path.id, watcher: .init(login: login.user.username, address: clientIP)) { fanout in
            await reader.run(into: fanout, first: channel)
        }
        // The first bytes before the head: a channel no account could open is a 502, not an empty 200.
        let opening = await attachment.fanout.next(attachment.viewer, maxBytes: Self.readSize)
        guard opening != .dropped else {
            hub.detach(attachment)
            lease.release()
            return .text("channel \(path.id) could not be opened on any provider account; try again in a moment",
                         status: .badGateway)
        }
        lease.headDelivered()
        let metrics = services.metrics
        let bytesCounter = metrics.upstreamBytesCounter(account: lease.candidate.accountName)
        let body = ResponseBody { writer in
            defer {
                hub.detach(attachment)
                lease.release()
            }
            var read = opening
            var unreported = 0
            defer {
                lease.addBytes(unreported)
                bytesCounter.increment(by: unreported)
            }
            while true {
                switch read {
                case .bytes(let chunks):
                    for chunk in chunks {
                        try await writer.write(chunk)
                        unreported += chunk.readableBytes
                    }
                case .movedForward(_, let chunks):
                    metrics.countLiveViewer(.movedForward)
                    for chunk in chunks {
                        try await writer.write(chunk)
                        unreported += chunk.readableBytes
                    }
                case .dropped:
                    if !attachment.fanout.isFinished { metrics.countLiveViewer(.dropped) }
                    try await writer.finish(nil)
                    return
                case .waiting:
                    break
                }
                if unreported >= StreamController.reportEvery {
                    lease.addBytes(unreported)
                    bytesCounter.increment(by: unreported)
                    unreported = 0
                }
                read = await attachment.fanout.next(attachment.viewer, maxBytes: Self.readSize)
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// At most this much per write to a viewer: a few TS packets' worth of chunks, so a slow socket's
    /// back-pressure is felt every few hundred KiB.
    static let readSize = 256 << 10
}

/// Answers the short live form `/U/P/ID[.ts|.m3u8]` for paths no route took (the router has no
/// three-parameter route, so `/api/...` and the other prefixes can never be mistaken for it).
struct LiveShortPathMiddleware: RouterMiddleware {
    typealias Context = XCRequestContext
    let live: LiveStreamController

    func handle(_ request: Request, context: XCRequestContext, next: (Request, XCRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard request.method == .get || request.method == .head, !Self.reserved(request.uri.path),
                  let path = LivePath(path: request.uri.path) else { throw error }
            return try await live.serve(path, request, context, head: request.method == .head)
        }
    }

    /// Prefixes of xcserver's own routes: never a live short path, even when three segments long.
    static func reserved(_ path: String) -> Bool {
        let first = path.split(separator: "/").first ?? ""
        return ["api", "admin", "movie", "series", "live", "timeshift", "streaming", "hls", "metrics"].contains(first)
    }
}

extension StreamTarget {
    /// A live relation of a channel: `{base}/live/{user}/{pass}/{stream_id}.ts`.
    init(live row: StreamCandidateRow) {
        self.init(row, kind: .live, containerExtension: "ts",
                  upstreamPath: "/live/\(PlaylistController.pathEncode(row.username))/\(PlaylistController.pathEncode(row.password))/\(row.streamID).ts")
    }
}
