import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// Opens provider stream requests: the only place xcserver talks to a provider's stream paths.
struct Upstream: Sendable {
    let http: HTTPClient
    /// The read budget `http` was made with; the stream proxy counts its streams in it.
    let readBudget: StreamReadBudget
    /// How long a provider may take to answer with a head before the next account is tried
    /// (`ServerConfig.openTimeout`).
    let openTimeout: TimeAmount
    let logger: Logger

    /// The client for streams: bounded redirects (providers send players to a load-balancer node), no
    /// decompression (bytes pass through untouched), a read timeout for a provider that stops sending,
    /// and no per-host connection cap of its own: the slot core decides how many streams run. A viewing's own
    /// socket on a strict account (`ViewingSocket`) is a client of one connection, kept alive between its chunks.
    static func makeClient(readBudget: StreamReadBudget, connectionsPerHost: Int = 1024) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(5), read: .seconds(30)),
            decompression: .disabled)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        // A refused connection fails at once: the next account is the retry, and a viewer should not
        // wait out the connect timeout on a panel that is down.
        configuration.connectionPool.retryConnectionEstablishment = false
        // One socket read per demand of the stream loop, not NIO's default four: with back-pressure
        // (a client reading at playback speed) every stream otherwise holds up to 4 reads of provider
        // bytes on top of what the kernel buffers. How large one read may be is the read budget's call.
        configuration.http1_1ConnectionDebugInitializer = { channel in
            channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).flatMap {
                channel.setOption(ChannelOptions.recvAllocator, value: readBudget.recvAllocator)
            }
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    enum Outcome: Sendable {
        case opened(HTTPClientResponse, headViaGet: Bool)
        case failed(FailoverReason)
    }

    /// Statuses that mean "this account will not serve it now" (or cannot at this moment): try the next account.
    static func isRefusal(_ status: UInt) -> Bool {
        status >= 500 || FailoverReason.providerRefusalStatuses.contains(Int(status))
    }

    func open(_ target: StreamTarget, range: ByteRange?, head: Bool, clientUserAgent: String?) async -> Outcome {
        let first = await send(target, method: head ? .HEAD : .GET, range: range, clientUserAgent: clientUserAgent)
        guard head, case .opened(let response, _) = first, [400, 405, 501].contains(response.status.code) else { return first }
        // A provider that rejects HEAD: ask for one byte instead and answer the client's HEAD from that.
        logger.debug("[slots] \(target.candidate.accountName) rejects HEAD (\(response.status.code)); asking with a ranged GET")
        let retried = await send(target, method: .GET, range: range ?? ByteRange(start: 0, end: 0), clientUserAgent: clientUserAgent)
        if case .opened(let response, _) = retried { return .opened(response, headViaGet: true) }
        return retried
    }

    func send(_ target: StreamTarget, method: HTTPMethod, range: ByteRange?, clientUserAgent: String?) async -> Outcome {
        var request = HTTPClientRequest(url: target.url)
        request.method = method
        if let range { request.headers.add(name: "Range", value: range.header) }
        request.headers.add(name: "User-Agent", value: target.userAgent ?? clientUserAgent ?? "xcserver")
        // The socket closes with the response (docs/sockets.md): left idle in the pool, a provider that
        // counts sockets would count it against the next viewing.
        request.headers.add(name: "Connection", value: "close")
        do {
            let response = try await http.execute(request, timeout: openTimeout)
            if Self.isRefusal(response.status.code) {
                logger.info("[slots] \(target.candidate.accountName) answered \(response.status.code) for \(Redaction.url(target.url, hiding: target))")
                return .failed(.status(Int(response.status.code)))
            }
            return .opened(response, headViaGet: false)
        } catch {
            return .failed(Self.failure(error, target, where: "for \(Redaction.url(target.url, hiding: target))", logger: logger))
        }
    }

    /// Why a request to `target` that threw moves admission on: a timeout, else the provider unreachable;
    /// logged as one line naming the account and `place` (its URL, or "on the viewing's socket").
    static func failure(_ error: any Error, _ target: StreamTarget, where place: String, logger: Logger) -> FailoverReason {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            logger.info("[slots] \(target.candidate.accountName) timed out \(place)")
            return .timeout
        }
        logger.info("[slots] \(target.candidate.accountName) unreachable \(place): \(Redaction.url(String(describing: error)))")
        return .connectError
    }
}
