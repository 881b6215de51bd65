/// Which reader of a viewing holds its one upstream socket (docs/sockets.md), as a plain value: no lock, no
/// clock, no I/O. `ViewingSocket` is the shell that keeps one under a lock and wakes the waiters it names.
///
/// A reader is one client request of the viewing. It holds the socket for one chunk at a time (a bounded
/// range request on the kept-alive socket), so readers of different ranges interleave without a second socket
/// and without closing and reopening one. When the socket is handed on:
/// - small reads first (what is left of the request fits in `smallRead`: a probe, the index near the end):
///   the player waits on them before it can play;
/// - then the newest reader: a seek or the playback request outranks the probe it replaces.
struct SocketTurns: Sendable, Equatable {
    struct Waiter: Sendable, Equatable {
        var reader: Int
        var small: Bool
    }

    private(set) var holder: Int?
    private(set) var waiting: [Waiter] = []
    private(set) var nextReader = 0

    /// A new reader; later readers have higher ids (newer).
    mutating func register() -> Int {
        defer { nextReader += 1 }
        return nextReader
    }

    /// `reader` wants the socket for its next chunk. True: it holds it now; false: it waits to be named by
    /// `release` or `leave`.
    mutating func request(_ reader: Int, small: Bool) -> Bool {
        precondition(holder != reader, "reader \(reader) asked for the socket it holds")
        guard holder == nil else {
            waiting.removeAll { $0.reader == reader }
            waiting.append(Waiter(reader: reader, small: small))
            return false
        }
        holder = reader
        return true
    }

    /// The holder's chunk is done: the socket goes to the next waiter, which is returned (it holds it now).
    mutating func release(_ reader: Int) -> Int? {
        guard holder == reader else { return nil }
        holder = nil
        return handOn()
    }

    /// The reader is gone (its response ended or its client left), holding the socket or waiting for it.
    mutating func leave(_ reader: Int) -> Int? {
        waiting.removeAll { $0.reader == reader }
        return release(reader)
    }

    /// Every waiter, for a socket that closes: they must stop waiting.
    mutating func drain() -> [Int] {
        defer { waiting = [] }
        return waiting.map(\.reader)
    }

    private mutating func handOn() -> Int? {
        guard !waiting.isEmpty else { return nil }
        let next = waiting.filter(\.small).max { $0.reader < $1.reader } ?? waiting.max { $0.reader < $1.reader }!
        waiting.removeAll { $0.reader == next.reader }
        holder = next.reader
        return next.reader
    }
}
