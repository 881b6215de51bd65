import CompressNIO
import Hummingbird
import NIOCore

/// Writes a large generated answer (a 100,000-title list, a playlist) to the client chunk by chunk,
/// gzip-compressed when the client asked for it, so memory stays flat whatever the catalog size.
struct StreamedBody: Sendable {
    /// Produces the body: call `emit` with each chunk, in order.
    typealias Producer = @Sendable (_ emit: (consuming [UInt8]) async throws -> Void) async throws -> Void

    /// Called once the whole body was written: its plain bytes and, when it was sent compressed, the
    /// gzip bytes sent (how the answer cache keeps a list it streamed).
    typealias Keeper = @Sendable (_ plain: AnswerBytes, _ gzip: AnswerBytes?) -> Void

    static let gzipAlgorithm = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: .fastestCompression))

    static func response(
        for request: Request, contentType: String, status: HTTPResponse.Status = .ok,
        keep: Keeper? = nil, producer: @escaping Producer
    ) -> Response {
        let gzip = acceptsGzip(request)
        let body = ResponseBody { writer in
            // What `keep` gets; nothing is collected when nobody keeps it.
            var plain = AnswerBytes()
            var sent = AnswerBytes()
            if gzip {
                let compressor = gzipAlgorithm.compressor
                try compressor.startStream()
                defer { try? compressor.finishStream() }
                try await producer { chunk in
                    var buffer = ByteBuffer(bytes: chunk)
                    if keep != nil { plain.append(buffer) }
                    let compressed = try buffer.compressStream(with: compressor, flush: .sync)
                    if keep != nil { sent.append(compressed.trimmed()) }
                    try await writer.write(compressed)
                }
                var empty = ByteBuffer()
                let last = try empty.compressStream(with: compressor, flush: .finish)
                if keep != nil { sent.append(last.trimmed()) }
                try await writer.write(last)
            } else {
                try await producer { chunk in
                    let buffer = ByteBuffer(bytes: chunk)
                    if keep != nil { plain.append(buffer) }
                    try await writer.write(buffer)
                }
            }
            try await writer.finish(nil)
            keep?(plain, gzip ? sent : nil)
        }
        return Response(status: status, headers: headers(contentType: contentType, gzip: gzip), body: body)
    }

    /// A kept answer compressed chunk by chunk, as the streamed answer would have been; each compressed
    /// piece is kept at its own size (the compressor allocates room for the whole input).
    static func gzipped(_ answer: AnswerBytes) throws -> AnswerBytes {
        let compressor = gzipAlgorithm.compressor
        try compressor.startStream()
        defer { try? compressor.finishStream() }
        var output = AnswerBytes()
        for chunk in answer.chunks {
            var input = chunk
            output.append(try input.compressStream(with: compressor, flush: .sync).trimmed())
        }
        var empty = ByteBuffer()
        output.append(try empty.compressStream(with: compressor, flush: .finish).trimmed())
        return output
    }

    static func headers(contentType: String, gzip: Bool) -> HTTPFields {
        var headers: HTTPFields = [.contentType: contentType]
        if gzip {
            headers[.contentEncoding] = "gzip"
            headers[.vary] = "Accept-Encoding"
        }
        return headers
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let value = request.headers[.acceptEncoding] else { return false }
        return value.split(separator: ",").contains { part in
            let coding = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
            return coding == "gzip" && !part.replacingOccurrences(of: " ", with: "").contains("q=0")
        }
    }
}

extension ByteBuffer {
    /// The readable bytes in a buffer of their own size: a compressed piece sits in a buffer sized for
    /// its whole input, and a kept answer should cost what it weighs.
    func trimmed() -> ByteBuffer {
        var exact = ByteBufferAllocator().buffer(capacity: readableBytes)
        exact.writeImmutableBuffer(self)
        return exact
    }
}

extension Response {
    /// A small JSON answer written in one piece.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
