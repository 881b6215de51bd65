import AsyncHTTPClient
import CompressNIO
import NIOCore

extension ProviderClient {
    /// `{base}/xmltv.php?username=…&password=…`.
    public var guideURL: String {
        "\(account.baseURL)/xmltv.php?username=\(Self.percentEncode(account.username))&password=\(Self.percentEncode(account.password))"
    }

    /// Streams the account's guide, handing over its bytes chunk by chunk, gunzipped when the provider
    /// sends a gzip file (`1f 8b`; a `Content-Encoding: gzip` answer is already decoded by the client).
    /// Goes through the account's gate like every catalog call. Returns the bytes read (decoded).
    @discardableResult
    public func streamGuide(onAnswer: () -> Void = {}, onChunk: ([UInt8]) async throws -> Void) async throws -> Int {
        let action = "xmltv.php"
        return try await gate.run {
            var request = request(guideURL)
            request.headers.replaceOrAdd(name: "Accept", value: "application/xml, application/gzip, */*")
            let response = try await send(request, action: action, timeout: listTimeout)
            onAnswer()
            guard response.status == .ok else { throw ProviderError.httpStatus(Int(response.status.code)) }
            var lastBytes = ContinuousClock.now
            var decompressor: NIODecompressor?
            var decided = false
            var total = 0
            do {
                for try await var buffer in response.body {
                    lastBytes = .now
                    if !decided, buffer.readableBytes >= 2 {
                        decided = true
                        if buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x1F8B {
                            let gunzip = CompressionAlgorithm.gzip().decompressor
                            gunzip.window = ByteBufferAllocator().buffer(capacity: 256 * 1024)
                            try gunzip.startStream()
                            decompressor = gunzip
                        }
                    }
                    if let decompressor {
                        try await buffer.decompressStream(with: decompressor) { window in
                            total += window.readableBytes
                            try await onChunk(Array(window.readableBytesView))
                        }
                    } else {
                        total += buffer.readableBytes
                        try await onChunk(Array(buffer.readableBytesView))
                    }
                }
                try decompressor?.finishStream()
            } catch let error as ProviderError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch let error as CompressNIOError {
                throw ProviderError.notAList(prefix: "a gzip guide that does not decompress (\(error))")
            } catch {
                throw Self.bodyFailure(error, action: action, since: lastBytes)
            }
            return total
        }
    }
}
