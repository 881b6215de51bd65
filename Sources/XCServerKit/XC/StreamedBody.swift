import CompressNIO
import Hummingbird
import NIOCore

/// Writes a large generated answer (a 100,000-title list, a playlist) to the client chunk by chunk,
/// gzip-compressed when the client asked for it, so memory stays flat whatever the catalog size.
struct StreamedBody: Sendable {
    /// Produces the body: call `emit` with each chunk, in order.
    typealias Producer = @Sendable (_ emit: (consuming [UInt8]) async throws -> Void) async throws -> Void

    static func response(
        for request: Request, contentType: String, status: HTTPResponse.Status = .ok, producer: @escaping Producer
    ) -> Response {
        let gzip = acceptsGzip(request)
        var headers: HTTPFields = [.contentType: contentType]
        if gzip {
            headers[.contentEncoding] = "gzip"
            headers[.vary] = "Accept-Encoding"
        }
        let body = ResponseBody { writer in
            if gzip {
                let compressor = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: .fastestCompression)).compressor
                try compressor.startStream()
                defer { try? compressor.finishStream() }
                try await producer { chunk in
                    var buffer = ByteBuffer(bytes: chunk)
                    try await writer.write(buffer.compressStream(with: compressor, flush: .sync))
                }
                var empty = ByteBuffer()
                try await writer.write(empty.compressStream(with: compressor, flush: .finish))
            } else {
                try await producer { chunk in try await writer.write(ByteBuffer(bytes: chunk)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let value = request.headers[.acceptEncoding] else { return false }
        return value.split(separator: ",").contains { part in
            let coding = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
            return coding == "gzip" && !part.replacingOccurrences(of: " ", with: "").contains("q=0")
        }
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
