import NIOCore
import Synchronization

/// How many provider bytes one socket read may take, shared out among the streams running now.
///
/// Every running stream holds a few read buffers at once (the chunk waiting in AsyncHTTPClient, the
/// one being written to the player, the one its socket has not taken yet), so the read size sets the
/// memory per stream. One stream is cheapest with large reads (fewer system calls per GB); two hundred
/// must not each hold megabytes. So a read may take `budget / running`, rounded down to a power of two
/// and kept within `minimum...maximum`: with the defaults, 1 MiB for one stream, 256 KiB for four,
/// 64 KiB for sixteen and 16 KiB from sixty-four on. A stream counts from its admission, before the
/// provider answers, so a burst of opens shrinks the reads at once. (A connection's reused read
/// buffer keeps the size it grew to, so the cap bounds what new reads allocate, not every buffer.)
///
/// Measured with `xcserver-bench --streams-only` (2 cores, five or more runs each): a fixed 64 KiB read gave
/// 135-204 MB server RSS with 200 open streams and 0.49-0.56 CPU-s per proxied GB for one stream; a
/// fixed 32 KiB 82-118 MB but 0.67-0.72 CPU-s per GB; this budget 70-98 MB and 0.30-0.37 CPU-s per GB,
/// at 850-890 MB/s aggregate for the 200 streams (970 with 32 KiB reads).
final class StreamReadBudget: Sendable {
    let budget: Int
    let minimum: Int
    let maximum: Int
    private let flowing = Atomic<Int>(0)

    init(budget: Int = 1 << 20, minimum: Int = 16 << 10, maximum: Int = 1 << 20) {
        precondition(minimum > 0 && minimum <= maximum)
        self.budget = budget
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Streams admitted and not yet finished.
    var flowingStreams: Int { flowing.load(ordering: .relaxed) }

    /// Counts one stream from its admission (before its provider answers, so a burst of opens shrinks
    /// the reads at once) until `leave()` or, as a backstop, until the entry is dropped.
    func enter() -> Entry {
        flowing.add(1, ordering: .relaxed)
        return Entry(budget: self)
    }

    final class Entry: Sendable {
        private let budget: StreamReadBudget
        private let left = Atomic<Bool>(false)

        fileprivate init(budget: StreamReadBudget) { self.budget = budget }

        /// Idempotent: the stream's end and the entry's deinit may both call it.
        func leave() {
            if !left.exchange(true, ordering: .relaxed) { budget.flowing.subtract(1, ordering: .relaxed) }
        }

        deinit { leave() }
    }

    /// The largest read one stream may make now.
    var readSize: Int { Self.readSize(budget: budget, flowing: flowingStreams, minimum: minimum, maximum: maximum) }

    static func readSize(budget: Int, flowing: Int, minimum: Int, maximum: Int) -> Int {
        let share = budget / max(1, flowing)
        guard share > minimum else { return minimum }
        // Round down to a power of two: buffer sizes stay few, so the allocator reuses them.
        let rounded = 1 << (Int.bitWidth - 1 - share.leadingZeroBitCount)
        return min(maximum, rounded)
    }

    /// The receive allocator for provider stream connections: NIO's adaptive sizing (which shrinks
    /// reads when a provider sends little), capped by this budget's share at every read.
    var recvAllocator: RecvAllocator { RecvAllocator(budget: self) }

    struct RecvAllocator: RecvByteBufferAllocator {
        let budget: StreamReadBudget
        private var adaptive: AdaptiveRecvByteBufferAllocator

        init(budget: StreamReadBudget) {
            self.budget = budget
            self.adaptive = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: budget.maximum)
        }

        private var size: Int { min(adaptive.nextBufferSize() ?? adaptive.maximum, budget.readSize) }

        func nextBufferSize() -> Int? { size }

        func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
            allocator.buffer(capacity: size)
        }

        mutating func record(actualReadBytes: Int) -> Bool {
            adaptive.record(actualReadBytes: actualReadBytes)
        }
    }
}
