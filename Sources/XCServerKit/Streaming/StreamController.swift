import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import XCModels

/// `GET|HEAD /movie/U/P/ID.EXT` and `/series/U/P/ID.EXT`: the stream proxy.
///
/// Every request goes through the slot core: it joins its viewing's slot (the TiviMate probe, index
/// read and playback requests of one film share one provider connection count) or gets a new one on
/// the highest-priority account with room. Before a response head reaches the client, a failing
/// account hands the viewing to the next one; after it, the viewing stays on its file and a dropped
/// upstream is resumed with a Range request on the same copy.
struct StreamController: RouteGroup {
    let services: AppServices

    func register(on router: some RouterMethods<XCRequestContext>) {
        for prefix in ["movie", "series"] {
            router.get("\(prefix)/**") { request, context in try await handle(request, context, head: false) }
            router.head("\(prefix)/**") { request, context in try await handle(request, context, head: true) }
        }
    }

    func handle(_ request: Request, _ context: XCRequestContext, head: Bool) async throws -> Response {
        guard let path = StreamPath(path: request.uri.path) else {
            return .text("not a stream path; expected /movie/USER/PASS/ID.EXT or /series/USER/PASS/ID.EXT", status: .notFound)
        }
        guard let login = try await services.authenticate(username: path.username, password: path.password).login else {
            return .text("wrong username or password", status: .unauthorized)
        }
        let kindName = path.kind == .movie ? "movie" : "episode"
        guard let title = try await StreamTitle.lookup(kind: path.kind, publicID: path.id, store: services.store, scope: CatalogScope(login)) else {
            return .text("no \(kindName) with id \(path.id)", status: .notFound)
        }
        return try await serve(request, context, head: head, login: login, title: title, kind: path.kind, kindName: kindName)
    }

    /// Streams `title` to `login` through the slot core (also what catch-up recordings use).
    func serve(
        _ request: Request, _ context: XCRequestContext, head: Bool, login: Login, title: StreamTitle, kind: ContentKind, kindName: String
    ) async throws -> Response {
        var range: ByteRange?
        if let header = request.headers[.range] {
            guard let parsed = ByteRange(header: header) else {
                return .text("unparseable Range header '\(header)'", status: .badRequest)
            }
            range = parsed
        }
        let user = login.user
        let clientIP = ClientAddress(trustedProxies: services.config.trustedProxies)
            .resolve(peer: context.clientIP, forwardedFor: request.headers[values: Self.forwardedFor].joined(separator: ","))
        let key = ViewerKey(userID: user.id!, clientIP: clientIP, kind: kind, contentID: title.contentID)
        let lease: SlotLease
        do {
            lease = try await services.acquireSlot(SlotRequest(
                key: key, userMaxConnections: user.maxConnections, candidates: title.targets.map(\.candidate), isHead: head))
        } catch {
            return Self.refused(error)
        }
        let flowing = services.upstream.readBudget.enter()
        // Until the body closure owns the lease, this scope releases it; the lease's deinit is the backstop.
        var handedOff = false
        defer { if !handedOff { lease.release(); flowing.leave() } }

        let clientUserAgent = request.headers[.userAgent]
        var lastFailure = "no account answered"
        for _ in 0...(title.targets.count + 2) {
            let candidate = lease.candidate
            guard let target = title.target(for: candidate) else { break }
            if target.socketLimit == .strict || services.sockets.isStrict(lease.slotID) {
                let failure: FailoverReason
                switch await strictResponse(target, range: range, head: head, lease: lease, flowing: flowing, clientUserAgent: clientUserAgent) {
                case .response(let response, let bodyOwnsLease):
                    handedOff = bodyOwnsLease
                    return response
                case .failed(let reason): failure = reason
                case .moved: failure = .connectError
                }
                lastFailure = "\(candidate.accountName): \(failure)"
                do { _ = try lease.failover(reason: failure) } catch {
                    return .text("every provider account failed for this \(kindName) (last: \(lastFailure))", status: .badGateway)
                }
                continue
            }
            services.sockets.ownSocketOpened(lease.slotID)
            let opened = await services.upstream.open(target, range: range, head: head, clientUserAgent: clientUserAgent)
            if case .failed = opened { services.sockets.ownSocketClosed(lease.slotID) }
            switch opened {
            case .failed(let reason):
                if await detectedStrict(reason, target: target, lease: lease) { continue }
                lastFailure = "\(candidate.accountName): \(reason)"
                do {
                    _ = try lease.failover(reason: reason)
                } catch {
                    return .text("every provider account failed for this \(kindName) (last: \(lastFailure))", status: .badGateway)
                }
            case .opened(let response, let headViaGet):
                // A sibling request of this viewing may have moved the slot meanwhile: follow it, so one
                // viewing never mixes two accounts' copies.
                guard lease.headDelivered() else {
                    services.sockets.ownSocketClosed(lease.slotID)
                    lastFailure = "\(candidate.accountName): slot moved by another request of this viewing"
                    do { _ = try lease.failover(reason: .connectError) } catch {
                        return .text("every provider account failed for this \(kindName) (last: \(lastFailure))", status: .badGateway)
                    }
                    continue
                }
                if head {
                    services.sockets.ownSocketClosed(lease.slotID)
                    return Self.headResponse(response, headViaGet: headViaGet, clientRange: range)
                }
                handedOff = true
                return streamResponse(response, target: target, lease: lease, flowing: flowing)
            }
        }
        return .text("every provider account failed for this \(kindName) (last: \(lastFailure))", status: .badGateway)
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func refused(_ refusal: SlotRefusal) -> Response {
        var headers: HTTPFields = [:]
        if refusal.httpStatus == 503 { headers[.retryAfter] = "10" }
        return .text(refusal.message, status: .init(code: refusal.httpStatus), headers: headers)
    }

    /// The headers players rely on, passed through from upstream.
    static func passThroughHeaders(_ upstream: HTTPClientResponse) -> HTTPFields {
        var headers: HTTPFields = [:]
        for name in ["Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag"] {
            if let value = upstream.headers.first(name: name), let field = HTTPField.Name(name) { headers[field] = value }
        }
        if headers[.acceptRanges] == nil, upstream.status == .partialContent || headers[.contentLength] != nil {
            headers[.acceptRanges] = "bytes"
        }
        return headers
    }

    /// HEAD: the headers a GET would have had. When the provider only answered a ranged GET, a client
    /// HEAD without Range gets the full length from that answer's `Content-Range` and status 200.
    static func headResponse(_ upstream: HTTPClientResponse, headViaGet: Bool, clientRange: ByteRange?) -> Response {
        var headers = passThroughHeaders(upstream)
        var status = HTTPResponse.Status(code: Int(upstream.status.code))
        if headViaGet, clientRange == nil, let contentRange = headers[.contentRange].flatMap(ContentRange.init(header:)),
           let total = contentRange.total {
            headers[.contentRange] = nil
            headers[.contentLength] = String(total)
            status = .ok
        }
        return Response(status: status, headers: headers, body: ResponseBody())
    }

    /// The body, chunk by chunk with back-pressure both ways. A client that goes away ends the loop
    /// (its write throws), which drops the upstream body and so cancels the provider request at once.
    static let reportEvery = 1 << 20

    func streamResponse(_ upstream: HTTPClientResponse, target: StreamTarget, lease: SlotLease, flowing: StreamReadBudget.Entry) -> Response {
        var headers = Self.passThroughHeaders(upstream)
        let status = HTTPResponse.Status(code: Int(upstream.status.code))
        let expected = headers[.contentLength].flatMap { Int64($0) }
        let contentRange = headers[.contentRange].flatMap(ContentRange.init(header:))
        let firstByte = contentRange?.first ?? 0
        // A catch-up answer from its first byte may start with a provider's PHP warning: skipped, so the
        // length is no longer known in advance.
        let skipsGarbage = target.skipsLeadingGarbage && firstByte == 0
        if skipsGarbage { headers[.contentLength] = nil }
        let total = contentRange?.total ?? (status == .ok ? expected : nil)
        let upstreamClient = services.upstream
        let maxResumes = services.config.maxResumes
        let logger = services.logger
        let bytesCounter = services.metrics.upstreamBytesCounter(account: target.candidate.accountName)
        let sockets = services.sockets
        let body = ResponseBody { writer in
            var ownSocket = true
            defer {
                if ownSocket { sockets.ownSocketClosed(lease.slotID) }
                lease.release()
                flowing.leave()
            }
            var delivered: Int64 = 0
            // Bytes not yet added to the slot and the metric: both take a lock, so they are told every
            // `reportEvery` bytes (a few times a second for a film) instead of for each chunk.
            var unreported = 0
            defer {
                lease.addBytes(unreported)
                bytesCounter.increment(by: unreported)
            }
            var chunks: HTTPClientResponse.Body.AsyncIterator? = upstream.body.makeAsyncIterator()
            var resumes = 0
            var skipper = skipsGarbage ? TSSyncSkipper() : nil
            while true {
                if let expected, delivered < expected, sockets.isStrict(lease.slotID) {
                    // Detection made this viewing strict: give up this socket, go on over the viewing's one.
                    chunks = nil
                    sockets.ownSocketClosed(lease.slotID)
                    ownSocket = false
                    let socket = await sockets.socket(slotID: lease.slotID, target: target)
                    let reader = StrictReader(socket: socket, clientUserAgent: nil)
                    defer { reader.leave() }
                    try await reader.stream((firstByte + delivered)...(firstByte + expected - 1), pending: nil, maxResumes: maxResumes) { bytes in
                        try await writer.write(bytes)
                        unreported += bytes.readableBytes
                    }
                    break
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await chunks?.next()
                } catch {
                    chunk = nil
                    logger.info("[slots] \(target.candidate.accountName) dropped after \(delivered) bytes: \(Redaction.url(String(describing: error)))")
                }
                if let chunk {
                    if skipper == nil || skipper!.synced {
                        try await writer.write(chunk)
                    } else if let out = skipper?.feed(chunk), out.readableBytes > 0 {
                        try await writer.write(out)
                    }
                    delivered += Int64(chunk.readableBytes)
                    unreported += chunk.readableBytes
                    if unreported >= Self.reportEvery {
                        lease.addBytes(unreported)
                        bytesCounter.increment(by: unreported)
                        unreported = 0
                    }
                    continue
                }
                guard let expected, delivered < expected else { break }
                // The provider ended early: resume on the same copy from the next byte, bounded.
                guard resumes < maxResumes else {
                    logger.warning("[slots] \(target.candidate.accountName) dropped \(resumes + 1) times; ending the response at byte \(delivered) of \(expected)")
                    throw StreamError.upstreamDropped
                }
                resumes += 1
                let resume = ByteRange(start: firstByte + delivered, end: firstByte + expected - 1)
                guard case .opened(let response, _) = await upstreamClient.send(target, method: .GET, range: resume, clientUserAgent: nil),
                      response.status == .partialContent,
                      let resumed = response.headers.first(name: "Content-Range").flatMap(ContentRange.init(header:)),
                      resumed.first == resume.start, total == nil || resumed.total == total
                else {
                    logger.warning("[slots] \(target.candidate.accountName) could not resume at byte \(firstByte + delivered); ending the response")
                    throw StreamError.upstreamDropped
                }
                logger.info("[slots] resumed \(target.candidate.accountName) at byte \(firstByte + delivered) (resume \(resumes))")
                chunks = response.body.makeAsyncIterator()
            }
            if var skipper, !skipper.synced { try await writer.write(skipper.finish()) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }
}

enum StreamError: Error {
    /// The provider stopped sending and could not be resumed; the client sees a short body and retries.
    case upstreamDropped
}
