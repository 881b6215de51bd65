import NIOConcurrencyHelpers
import NIOCore

/// One live channel's shared bytes and its viewers: `LiveRing` behind a lock, plus the waiting.
///
/// The upstream reader calls `append` and never waits for anyone; each viewer's response loop calls
/// `next`, which suspends until there is something for it. A viewer that is too slow is moved forward or
/// dropped by the ring's rules, so no viewer can hold back the reader or another viewer.
/// docs/live-streaming.md.
final class LiveFanout: Sendable {
    private struct State {
        var ring: LiveRing
        var nextViewer = 1
        /// Viewers suspended in `next`, woken (with nil: "read again") by `append`, `finish` or cancellation.
        var waiters: [LiveRing.ViewerID: CheckedContinuation<LiveRing.Read?, Never>] = [:]
        var finished = false

        mutating func takeWaiters() -> [CheckedContinuation<LiveRing.Read?, Never>] {
            defer { waiters.removeAll(keepingCapacity: true) }
            return Array(waiters.values)
        }
    }

    private let state: NIOLockedValueBox<State>

    init(policy: LiveRing.Policy) {
        state = NIOLockedValueBox(State(ring: LiveRing(policy: policy)))
    }

    // MARK: The reader

    func append(_ chunk: ByteBuffer) {
        let woken = state.withLockedValue { state in
            state.ring.append(chunk)
            return state.takeWaiters()
        }
        for waiter in woken { waiter.resume(returning: nil) }
    }

    /// The upstream is gone for good: viewers get what is left, then `.dropped`.
    func finish() {
        let woken = state.withLockedValue { state in
            state.finished = true
            return state.takeWaiters()
        }
        for waiter in woken { waiter.resume(returning: nil) }
    }

    /// True once the upstream is gone for good (`finish`).
    var isFinished: Bool { state.withLockedValue { $0.finished } }

    // MARK: Viewers

    func join() -> LiveRing.ViewerID {
        state.withLockedValue { state in
            let id = state.nextViewer
            state.nextViewer += 1
            state.ring.join(id)
            return id
        }
    }

    func leave(_ id: LiveRing.ViewerID) {
        let waiter = state.withLockedValue { state in
            state.ring.leave(id)
            return state.waiters.removeValue(forKey: id)
        }
        waiter?.resume(returning: .dropped)
    }

    /// The viewer's next bytes; suspends while there are none. `.dropped` when the viewer was dropped, left,
    /// the upstream finished and everything held was read, or the task was cancelled.
    func next(_ id: LiveRing.ViewerID, maxBytes: Int) async -> LiveRing.Read {
        while true {
            if Task.isCancelled {
                leave(id)
                return .dropped
            }
            let read: LiveRing.Read? = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let now: LiveRing.Read? = state.withLockedValue { state in
                        let read = state.ring.read(id, maxBytes: maxBytes)
                        guard read == .waiting else { return read }
                        if state.finished {
                            state.ring.leave(id)
                            return .dropped
                        }
                        state.waiters[id] = continuation
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            } onCancel: {
                let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
                waiter?.resume(returning: nil)
            }
            if let read { return read }
        }
    }

    // MARK: Observability

    struct Snapshot: Sendable, Equatable {
        var fill: Int
        var end: Int64
        /// Per viewer: bytes read and how far behind the newest byte.
        var viewers: [LiveRing.ViewerID: (read: Int64, behind: Int64)]

        static func == (lhs: Snapshot, rhs: Snapshot) -> Bool {
            lhs.fill == rhs.fill && lhs.end == rhs.end && lhs.viewers.mapValues { [$0.read, $0.behind] }
                == rhs.viewers.mapValues { [$0.read, $0.behind] }
        }
    }

    var snapshot: Snapshot {
        state.withLockedValue { state in
            Snapshot(fill: state.ring.fill, end: state.ring.end,
                     viewers: state.ring.viewers.mapValues { ($0.bytesRead, state.ring.end - $0.position) })
        }
    }
}
