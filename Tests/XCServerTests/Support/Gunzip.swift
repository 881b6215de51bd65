import CompressNIO
import NIOCore

func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
    var buffer = ByteBuffer(bytes: bytes)
    let output = try buffer.decompress(with: .gzip())
    return Array(output.readableBytesView)
}
