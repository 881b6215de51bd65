import NIOCore

/// A viewing's copy of the bytes players probe again and again: the file's first bytes (container header) and
/// its last ones (the MKV cues, the MP4 `moov` at the end), so a repeated probe is not another upstream request
/// on a socket some other reader of the viewing needs. Bounded: it keeps what fits in `limit` and drops the rest
/// (no eviction, since the first probe of a viewing is the one players repeat).
struct ProbeCache: Sendable {
    /// Bytes kept at most per viewing.
    static let defaultLimit = 512 << 10
    /// Bytes from the start of the file that count as its head.
    static let headWindow: Int64 = 256 << 10
    /// Bytes before the end of the file that count as its tail (at most an eighth of the file).
    static let tailWindow: Int64 = 4 << 20

    let limit: Int
    private(set) var segments: [(start: Int64, bytes: ByteBuffer)] = []
    private(set) var used = 0

    init(limit: Int = Self.defaultLimit) {
        self.limit = limit
    }

    /// The cached bytes from `offset` on (up to the end of the segment holding it), or nil.
    func bytes(at offset: Int64) -> ByteBuffer? {
        for (start, bytes) in segments where start <= offset && offset < start + Int64(bytes.readableBytes) {
            return bytes.getSlice(at: bytes.readerIndex + Int(offset - start), length: bytes.readableBytes - Int(offset - start))
        }
        return nil
    }

    /// Keeps the part of `bytes` (file bytes from `start`) that lies in the head or tail window of a file of
    /// `total` bytes and is not cached yet, while it fits.
    mutating func offer(_ bytes: ByteBuffer, at start: Int64, total: Int64) {
        let end = start + Int64(bytes.readableBytes)
        // On a short file the tail window shrinks, so playback bytes never crowd out the head probe.
        let tail = min(Self.tailWindow, total / 8)
        for window in [0..<min(Self.headWindow, total), max(0, total - tail)..<total] {
            let lower = max(start, window.lowerBound), upper = min(end, window.upperBound)
            guard lower < upper else { continue }
            keep(bytes, from: start, range: lower..<upper)
        }
    }

    private mutating func keep(_ bytes: ByteBuffer, from start: Int64, range: Range<Int64>) {
        var lower = range.lowerBound
        // Skip what a segment already holds; keep only a new run that starts where nothing is cached.
        while lower < range.upperBound, let cached = self.bytes(at: lower) { lower += Int64(cached.readableBytes) }
        guard lower < range.upperBound else { return }
        var upper = range.upperBound
        if let next = segments.map(\.start).filter({ $0 > lower }).min() { upper = min(upper, next) }
        let count = Int(upper - lower)
        guard count > 0, used + count <= limit,
              let slice = bytes.getSlice(at: bytes.readerIndex + Int(lower - start), length: count)
        else { return }
        // A copy: a slice would keep the whole chunk it came from alive.
        var copy = ByteBufferAllocator().buffer(capacity: count)
        copy.writeImmutableBuffer(slice)
        segments.append((lower, copy))
        used += count
    }
}
