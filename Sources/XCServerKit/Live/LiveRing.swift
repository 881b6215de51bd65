import NIOCore

/// The recent bytes of one live channel and every viewer's place in them, as a plain value.
///
/// One upstream reader appends; each viewer reads from its own cursor. The ring holds at most
/// `Policy.capacity` bytes (whole upstream chunks, oldest dropped first), so memory per channel is
/// bounded whatever the viewers do. A viewer never slows the reader: one that falls behind the oldest byte
/// held is moved forward to the newest entry point, and dropped after `Policy.maxJumps` such moves.
/// Chunks are shared, never copied: a read hands out slices of the upstream's own buffers.
/// docs/live.md, "The ring".
struct LiveRing: Sendable {
    struct Policy: Sendable, Equatable {
        /// Bytes held for late and slow viewers (a few seconds of a channel).
        var capacity: Int
        /// Forward moves a viewer may take before it is dropped.
        var maxJumps: Int
    }

    typealias ViewerID = Int

    /// What a viewer gets from `read`.
    enum Read: Equatable {
        /// Bytes from the viewer's cursor, in order; the cursor moved past them.
        case bytes([ByteBuffer])
        /// Nothing new yet: wait for the next append.
        case waiting
        /// The viewer had fallen behind the oldest byte held: it skipped `skipped` bytes and now reads on
        /// from an entry point (the bytes from there come with it).
        case movedForward(skipped: Int64, [ByteBuffer])
        /// Too many forward moves, or never joined: the viewer is gone.
        case dropped
    }

    struct Cursor: Sendable, Equatable {
        var position: Int64
        var jumps = 0
        var bytesRead: Int64 = 0
    }

    let policy: Policy
    private(set) var scanner = TSScanner()
    private var chunks = CircularBuffer<(start: Int64, bytes: ByteBuffer)>()
    /// Entry points still inside the ring, oldest first.
    private var entryPoints = CircularBuffer<Int64>()
    private(set) var viewers: [ViewerID: Cursor] = [:]
    /// Absolute offset of the oldest byte held.
    private(set) var start: Int64 = 0

    init(policy: Policy) {
        self.policy = policy
    }

    /// Absolute offset just past the newest byte.
    var end: Int64 { scanner.offset }
    /// Bytes held now (at most `policy.capacity` plus the newest chunk).
    var fill: Int { Int(end - start) }

    // MARK: The reader

    /// Appends one upstream chunk, dropping the oldest chunks past the capacity (the newest is always kept).
    mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        chunks.append((end, chunk))
        for entry in scanner.feed(chunk) { entryPoints.append(entry) }
        while chunks.count > 1, fill > policy.capacity {
            let dropped = chunks.removeFirst()
            start = dropped.start + Int64(dropped.bytes.readableBytes)
        }
        while let first = entryPoints.first, first < start { entryPoints.removeFirst() }
    }

    // MARK: Viewers

    /// Where a new viewer starts: the newest entry point (PAT then keyframe), else the newest PAT, else the
    /// newest packet boundary, else the end (no packet seen yet: start with the next byte).
    var joinPosition: Int64 {
        if let entry = entryPoints.last { return entry }
        if let pat = scanner.lastPAT, pat >= start { return pat }
        if let packet = scanner.lastPacketStart, packet >= start { return packet }
        return end
    }

    mutating func join(_ id: ViewerID) {
        viewers[id] = Cursor(position: joinPosition)
    }

    mutating func leave(_ id: ViewerID) {
        viewers[id] = nil
    }

    /// How many bytes the viewer is behind the newest byte.
    func behind(_ id: ViewerID) -> Int64? {
        viewers[id].map { end - $0.position }
    }

    /// The viewer's next bytes, at most `maxBytes` (always at least one chunk's remainder when any is there).
    mutating func read(_ id: ViewerID, maxBytes: Int) -> Read {
        guard var cursor = viewers[id] else { return .dropped }
        var skipped: Int64 = 0
        if cursor.position < start {
            cursor.jumps += 1
            guard cursor.jumps <= policy.maxJumps else {
                viewers[id] = nil
                return .dropped
            }
            let target = entryPoints.last ?? max(start, scanner.lastPacketStart ?? start)
            skipped = target - cursor.position
            cursor.position = target
        }
        let slices = slices(from: cursor.position, maxBytes: maxBytes)
        let length = slices.reduce(0) { $0 + Int64($1.readableBytes) }
        cursor.position += length
        cursor.bytesRead += length
        viewers[id] = cursor
        if skipped > 0 { return .movedForward(skipped: skipped, slices) }
        return slices.isEmpty ? .waiting : .bytes(slices)
    }

    /// Slices of the held chunks from `position`, up to `maxBytes` (but never splitting to less than one byte).
    private func slices(from position: Int64, maxBytes: Int) -> [ByteBuffer] {
        guard position < end else { return [] }
        var result: [ByteBuffer] = []
        var budget = max(1, maxBytes)
        // Chunks are few (capacity / chunk size); the newest are what most readers want, so search from the back.
        var index = chunks.endIndex
        repeat {
            index = chunks.index(before: index)
        } while index != chunks.startIndex && chunks[index].start > position
        while index != chunks.endIndex, budget > 0 {
            let (chunkStart, bytes) = chunks[index]
            let skip = Int(max(0, position - chunkStart))
            let length = min(bytes.readableBytes - skip, budget)
            if length > 0, let slice = bytes.getSlice(at: bytes.readerIndex + skip, length: length) {
                result.append(slice)
                budget -= length
            }
            index = chunks.index(after: index)
        }
        return result
    }
}
