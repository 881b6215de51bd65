import AsyncHTTPClient
import Logging
import NIOCore
import Synchronization

/// The one upstream socket of a viewing on a `strict` account (docs/sockets.md): its own HTTP client with a
/// pool of one kept-alive connection, handed to one reader at a time by `SocketTurns`, with the viewing's
/// `ProbeCache`. Lives as long as the viewing's slot; `ViewingSockets` closes it when the slot ends.
final class ViewingSocket: Sendable {
    let slotID: Int64
    let target: StreamTarget
    private let http: HTTPClient
    private let openTimeout: TimeAmount
    private let logger: Logger
    private let state: Mutex<State>

    /// What the provider said about the file, from the first ranged answer.
    struct FileInfo: Sendable, Equatable {
        var total: Int64
        var contentType: String?
        var lastModified: String?
        var etag: String?
    }

    enum Chunk: Sendable {
        /// A 206 for the range asked: its bytes (first byte at `first`).
        case bytes(ByteBuffer, first: Int64, FileInfo)
        /// Any other answer that is not a refusal (200 from a provider ignoring Range, 416): passed on as is.
        case other(HTTPClientResponse)
        case failed(FailoverReason)
    }

    private struct State {
        var turns = SocketTurns()
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var cache = ProbeCache()
        var info: FileInfo?
        var closed = false
    }

    init(slotID: Int64, target: StreamTarget, readBudget: StreamReadBudget, openTimeout: TimeAmount, logger: Logger) {
        self.slotID = slotID
        self.target = target
        self.openTimeout = openTimeout
        self.logger = logger
        http = Upstream.makeClient(readBudget: readBudget, connectionsPerHost: 1)
        StrictClients.keep(http)
        state = Mutex(State())
    }

    var info: FileInfo? { state.withLock { $0.info } }
    var cacheBytes: Int { state.withLock { $0.cache.used } }

    func cached(at offset: Int64) -> ByteBuffer? { state.withLock { $0.cache.bytes(at: offset) } }

    func register() -> Int { state.withLock { $0.turns.register() } }

    /// Waits until `reader` holds the socket. False when the socket closed meanwhile (the slot ended).
    func turn(_ reader: Int, small: Bool) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now: Bool? = state.withLock { s in
                if s.closed { return false }
                if s.turns.request(reader, small: small) { return true }
                s.waiters[reader] = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// The holder's chunk is done (or the reader is gone): the next waiter gets the socket.
    func done(_ reader: Int, leaving: Bool = false) {
        let next: CheckedContinuation<Bool, Never>? = state.withLock { s in
            let id = leaving ? s.turns.leave(reader) : s.turns.release(reader)
            if leaving, let gone = s.waiters.removeValue(forKey: reader) {
                // Not reachable in practice (a waiting reader is suspended), kept so no continuation leaks.
                gone.resume(returning: false)
            }
            return id.flatMap { s.waiters.removeValue(forKey: $0) }
        }
        next?.resume(returning: true)
    }

    /// One range request on the socket, its body read whole (a chunk is bounded), for the turn's holder.
    /// Refusals are retried a few times: the provider may not have seen another socket of this viewing close.
    func fetch(_ range: ByteRange, clientUserAgent: String?) async -> Chunk {
        var delay = Duration.milliseconds(100)
        for attempt in 0...3 {
            let outcome = await send(range, clientUserAgent: clientUserAgent)
            if case .failed(let reason) = outcome, attempt < 3, reason.isProviderRefusal || reason == .connectError {
                try? await Task.sleep(for: delay)
                delay *= 2
                continue
            }
            return outcome
        }
        return .failed(.connectError)
    }

    private func send(_ range: ByteRange, clientUserAgent: String?) async -> Chunk {
        var request = HTTPClientRequest(url: target.url)
        request.headers.add(name: "Range", value: range.header)
        request.headers.add(name: "User-Agent", value: target.userAgent ?? clientUserAgent ?? "xcserver")
        do {
            let response = try await http.execute(request, timeout: openTimeout)
            if Upstream.isRefusal(response.status.code) {
                logger.info("[slots] \(target.candidate.accountName) answered \(response.status.code) on the viewing's socket")
                return .failed(.status(Int(response.status.code)))
            }
            guard response.status == .partialContent,
                  let contentRange = response.headers.first(name: "Content-Range").flatMap(ContentRange.init(header:)),
                  let total = contentRange.total
            else { return .other(response) }
            let info = FileInfo(total: total, contentType: response.headers.first(name: "Content-Type"),
                                lastModified: response.headers.first(name: "Last-Modified"), etag: response.headers.first(name: "ETag"))
            let body = try await response.body.collect(upTo: StrictReader.maxChunk + 1)
            state.withLock { s in
                if s.info == nil { s.info = info }
                s.cache.offer(body, at: contentRange.first, total: total)
            }
            return .bytes(body, first: contentRange.first, info)
        } catch {
            return .failed(Upstream.failure(error, target, where: "on the viewing's socket", logger: logger))
        }
    }

    /// Closes the socket (the provider stops counting it) and wakes every waiter with "closed".
    func close() async {
        let waiting: [CheckedContinuation<Bool, Never>] = state.withLock { s in
            s.closed = true
            _ = s.turns.drain()
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiting { waiter.resume(returning: false) }
        await StrictClients.shutDown(http)
    }
}

/// Every per-viewing client until it is shut down: an `HTTPClient` must be shut down before it is released,
/// and a viewing socket's owner may go away first (a test's app, a server stopping).
enum StrictClients {
    private static let open = Mutex<[ObjectIdentifier: HTTPClient]>([:])

    static func keep(_ client: HTTPClient) {
        open.withLock { $0[ObjectIdentifier(client)] = client }
    }

    static func shutDown(_ client: HTTPClient) async {
        guard open.withLock({ $0.removeValue(forKey: ObjectIdentifier(client)) }) != nil else { return }
        try? await client.shutdown()
    }

    static var count: Int { open.withLock { $0.count } }
}
