import AsyncHTTPClient
import HTTPTypes
import NIOCore

/// One client request of a viewing on its `ViewingSocket`: answers the head for the range the client asked
/// (from what the socket learnt of the file, or from a first small chunk), then fetches the range chunk by
/// chunk, each chunk a bounded range request on the socket while this reader holds it, the probe cache first.
struct StrictReader: Sendable {
    /// The first chunk of a reader is small (a probe gets its bytes at once and the socket is free again
    /// soon); each next one doubles up to `maxChunk`, which bounds what a reader holds in memory.
    static let firstChunk: Int64 = 256 << 10
    static let maxChunk = 1 << 20
    /// A read with at most this much left is "small" and goes first (`SocketTurns`).
    static let smallRead: Int64 = 4 << 20

    let socket: ViewingSocket
    let reader: Int
    let clientUserAgent: String?

    init(socket: ViewingSocket, clientUserAgent: String?) {
        self.socket = socket
        self.reader = socket.register()
        self.clientUserAgent = clientUserAgent
    }

    enum Opened: Sendable {
        /// The head to send; `span` (first...last byte) is what the body must carry, nil for none.
        case answer(HTTPResponse.Status, HTTPFields, span: ClosedRange<Int64>?, pending: (first: Int64, bytes: ByteBuffer)?)
        /// The provider answered something this reader cannot split (200 to a Range request, 416): pass it on.
        case passThrough(HTTPClientResponse)
        case failed(FailoverReason)
    }

    /// The response head for `range`. Asks the provider only when the viewing has not learnt the file's length yet.
    func open(range: ByteRange?, head: Bool) async -> Opened {
        if let info = socket.info { return Self.answer(range, info: info, pending: nil) }
        guard await socket.turn(reader, small: true) else { return .failed(.connectError) }
        var ask = ByteRange(start: 0, end: 0)
        if !head, let start = range?.start ?? (range == nil ? 0 : nil) {
            ask = ByteRange(start: start, end: min(range?.end ?? Int64.max, start + Self.firstChunk - 1))
        }
        let chunk = await socket.fetch(ask, clientUserAgent: clientUserAgent)
        socket.done(reader)
        switch chunk {
        case .failed(let reason): return .failed(reason)
        case .other(let response): return .passThrough(response)
        case .bytes(let bytes, let first, let info): return Self.answer(range, info: info, pending: (first, bytes))
        }
    }

    /// What a provider serving this file would answer to `range`.
    static func answer(_ range: ByteRange?, info: ViewingSocket.FileInfo, pending: (first: Int64, bytes: ByteBuffer)?) -> Opened {
        let total = info.total
        var headers: HTTPFields = [.acceptRanges: "bytes"]
        if let type = info.contentType { headers[.contentType] = type }
        if let modified = info.lastModified { headers[.lastModified] = modified }
        if let etag = info.etag { headers[.eTag] = etag }
        guard let range else {
            headers[.contentLength] = String(total)
            return .answer(.ok, headers, span: total > 0 ? 0...(total - 1) : nil, pending: pending)
        }
        let first = range.start ?? max(0, total - (range.end ?? 0))
        let last = range.start == nil ? total - 1 : min(range.end ?? total - 1, total - 1)
        guard first < total, first <= last else {
            headers[.contentRange] = "bytes */\(total)"
            headers[.contentLength] = "0"
            return .answer(.rangeNotSatisfiable, headers, span: nil, pending: nil)
        }
        headers[.contentRange] = "bytes \(first)-\(last)/\(total)"
        headers[.contentLength] = String(last - first + 1)
        return .answer(.partialContent, headers, span: first...last, pending: pending)
    }

    /// Sends bytes `span` to `write`: what `pending` holds, then the cache, then chunks from the socket. A chunk
    /// that fails is asked again, at most `maxResumes` times in a row; then the response ends short.
    func stream(_ span: ClosedRange<Int64>, pending: (first: Int64, bytes: ByteBuffer)?, maxResumes: Int,
                write: (ByteBuffer) async throws -> Void) async throws {
        var position = span.lowerBound
        var pending = pending
        var chunk = Self.firstChunk
        var failures = 0
        while position <= span.upperBound {
            let left = span.upperBound - position + 1
            if let (first, bytes) = pending, first <= position, position < first + Int64(bytes.readableBytes) {
                pending = nil
                let offset = Int(position - first)
                let count = min(Int64(bytes.readableBytes - offset), left)
                try await write(bytes.getSlice(at: bytes.readerIndex + offset, length: Int(count))!)
                position += count
                continue
            }
            pending = nil
            if let cached = socket.cached(at: position) {
                let count = min(Int64(cached.readableBytes), left)
                try await write(cached.getSlice(at: cached.readerIndex, length: Int(count))!)
                position += count
                continue
            }
            guard await socket.turn(reader, small: left <= Self.smallRead) else { throw StreamError.upstreamDropped }
            let result = await socket.fetch(ByteRange(start: position, end: min(span.upperBound, position + chunk - 1)),
                                            clientUserAgent: clientUserAgent)
            socket.done(reader)
            if case .bytes(let bytes, let first, _) = result, first == position, bytes.readableBytes > 0 {
                pending = (first, bytes)
                chunk = min(Int64(Self.maxChunk), chunk * 2)
                failures = 0
                continue
            }
            failures += 1
            guard failures <= maxResumes else { throw StreamError.upstreamDropped }
        }
    }

    /// The request is over: its turn (held or awaited) goes to the next reader.
    func leave() { socket.done(reader, leaving: true) }
}
