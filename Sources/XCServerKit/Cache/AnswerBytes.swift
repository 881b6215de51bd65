import Hummingbird
import NIOCore

/// A kept answer's bytes as the chunks it was rendered in. A 100,000-film list is about 40 MB: kept as
/// one buffer it would be grown by doubling while rendering and copied once more to its own size, which
/// took the server's memory 119 MB over idle for one login's list; kept as its chunks it costs what it
/// weighs, and the rendering adds nothing but the chunk in flight (docs/under-load.md).
struct AnswerBytes: Sendable {
    private(set) var chunks: [ByteBuffer] = []
    /// The bytes in all chunks.
    private(set) var count = 0

    init() {}

    init(_ bytes: [UInt8]) {
        append(ByteBuffer(bytes: bytes))
    }

    init(_ buffer: ByteBuffer) {
        append(buffer)
    }

    mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        chunks.append(chunk)
        count += chunk.readableBytes
    }

    /// The chunks written in order, with the length known up front.
    var body: ResponseBody { ResponseBody(contentsOf: chunks) }
}
