import NIOCore

/// Deterministic stand-in for a video file: every byte is a function of (seed, stream id, offset).
///
/// Word `b` (bytes `8b ..< 8b+8`, little-endian) is `mix(key &+ b &* golden)` with
/// `key = mix(seed ^ streamID &* K)`. Any range can be produced without the bytes before it, so a
/// Range request costs only what it returns, and a 1 GB "file" never exists in memory.
enum MediaBytes {
    static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ golden
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func key(seed: UInt64, streamID: Int) -> UInt64 {
        mix(seed ^ (UInt64(bitPattern: Int64(streamID)) &* 0xD6E8_FEB8_6659_FD93))
    }

    @inline(__always)
    static func word(key: UInt64, index: UInt64) -> UInt64 {
        mix(key &+ index &* golden)
    }

    /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count`.
    static func fill(_ buffer: UnsafeMutableRawBufferPointer, key: UInt64, offset: Int) {
        var position = 0
        let count = buffer.count
        var absolute = offset
        // Leading partial word.
        while position < count, absolute % 8 != 0 {
            let w = word(key: key, index: UInt64(absolute / 8))
            buffer[position] = UInt8(truncatingIfNeeded: w >> UInt64(8 * (absolute % 8)))
            position += 1
            absolute += 1
        }
        // Whole words.
        while count - position >= 8 {
            let w = word(key: key, index: UInt64(absolute / 8))
            buffer.storeBytes(of: w.littleEndian, toByteOffset: position, as: UInt64.self)
            position += 8
            absolute += 8
        }
        // Trailing partial word.
        if position < count {
            let w = word(key: key, index: UInt64(absolute / 8))
            var shift: UInt64 = 0
            while position < count {
                buffer[position] = UInt8(truncatingIfNeeded: w >> shift)
                shift += 8
                position += 1
            }
        }
    }

    static func bytes(key: UInt64, range: Range<Int>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: range.count) { pointer, initialized in
            fill(UnsafeMutableRawBufferPointer(pointer), key: key, offset: range.lowerBound)
            initialized = range.count
        }
    }

    static func buffer(key: UInt64, offset: Int, count: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            fill(UnsafeMutableRawBufferPointer(rebasing: pointer[0 ..< count]), key: key, offset: offset)
            return count
        }
        return buffer
    }
}
