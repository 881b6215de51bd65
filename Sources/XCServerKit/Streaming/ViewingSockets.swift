import Logging
import NIOCore
import Synchronization

/// The upstream sockets of viewings, by slot (docs/sockets.md): the `ViewingSocket` of each viewing on a strict
/// account, and for viewings on tolerant accounts how many of their requests hold a socket of their own (what
/// detection needs to know). A socket closes when its slot ends: before a new viewing gets one (zapping
/// included) and on the slot sweeper's tick.
final class ViewingSockets: Sendable {
    private struct Entry {
        var socket: ViewingSocket?
        /// Requests of the viewing streaming on sockets of their own (tolerant account).
        var ownSockets = 0
        /// Detection switched this viewing to one socket.
        var strict = false
    }

    private let slots: any SlotCore
    private let readBudget: StreamReadBudget
    private let openTimeout: TimeAmount
    /// How long after closing a socket the same account's next one waits (`ServerConfig.settle`).
    private let settle: Duration
    private let logger: Logger
    private let entries = Mutex<[Int64: Entry]>([:])
    /// When each account last had a viewing socket closed here: its next socket waits until `settle` after it.
    /// Taken inside `entries`' lock, never the other way round.
    private let closedAt = Mutex<[Int64: ContinuousClock.Instant]>([:])

    init(slots: any SlotCore, readBudget: StreamReadBudget, openTimeout: TimeAmount, settle: Duration = .milliseconds(300),
         logger: Logger) {
        self.settle = settle
        self.slots = slots
        self.readBudget = readBudget
        self.openTimeout = openTimeout
        self.logger = logger
    }

    /// The viewing's socket toward `target`, opened on first use. Before a new one, the sockets of slots that
    /// ended are closed, so an account never holds the socket of a zapped or expired viewing next to a new one.
    func socket(slotID: Int64, target: StreamTarget) async -> ViewingSocket {
        if let socket = entries.withLock({ $0[slotID]?.socket }), socket.target.candidate.relationID == target.candidate.relationID {
            return socket
        }
        // A zapped viewing's socket is closed only now (it stayed open while the slot lingered): the
        // provider sees that close a moment later, so the same account's new socket waits the settle time,
        // counted from the close. Also when a sibling request of the new viewing did the closing: it is
        // still waiting, and this request would otherwise open the viewing's socket at once.
        await closeEnded()
        let wait = closedAt.withLock { $0[target.candidate.accountID].map { $0 + settle - .now } } ?? .zero
        if wait > .zero { try? await Task.sleep(for: wait) }
        let fresh = ViewingSocket(slotID: slotID, target: target, readBudget: readBudget, openTimeout: openTimeout, logger: logger)
        let (socket, replaced) = entries.withLock { e -> (ViewingSocket, ViewingSocket?) in
            if let existing = e[slotID]?.socket, existing.target.candidate.relationID == target.candidate.relationID {
                return (existing, fresh)
            }
            let old = e[slotID]?.socket
            e[slotID, default: Entry()].socket = fresh
            return (fresh, old)
        }
        await replaced?.close()
        return socket
    }

    /// Closes the sockets of slots that are no longer live, marking their accounts' close (the settle runs
    /// from it). Called by the slot sweeper once a second too.
    func closeEnded() async {
        let live = Set(await slots.snapshot().slots.map(\.id))
        let ended: [ViewingSocket] = entries.withLock { e in
            let gone = e.keys.filter { !live.contains($0) && e[$0]!.ownSockets <= 0 }
            let sockets = gone.compactMap { e.removeValue(forKey: $0)?.socket }
            // Marked in the same critical section as the removal: a request that finds nothing to close
            // after this one took the socket away sees the mark, and waits as well.
            markClosed(Set(sockets.map(\.target.candidate.accountID)))
            return sockets
        }
        for socket in ended { await socket.close() }
        markClosed(Set(ended.map(\.target.candidate.accountID)))  // the settle runs from the close itself
    }

    private func markClosed(_ accounts: Set<Int64>) {
        guard !accounts.isEmpty else { return }
        let now = ContinuousClock.now
        closedAt.withLock { closed in
            closed = closed.filter { $0.value + settle > now }
            for account in accounts { closed[account] = now }
        }
    }

    // MARK: detection (tolerant accounts)

    func ownSocketOpened(_ slotID: Int64) { entries.withLock { $0[slotID, default: Entry()].ownSockets += 1 } }

    func ownSocketClosed(_ slotID: Int64) { entries.withLock { $0[slotID]?.ownSockets -= 1 } }

    /// True when another request of the viewing streams on a socket of its own right now.
    func hasOwnSockets(_ slotID: Int64) -> Bool { entries.withLock { ($0[slotID]?.ownSockets ?? 0) > 0 } }

    /// From now on this viewing uses one socket; its requests on sockets of their own move onto it.
    func makeStrict(_ slotID: Int64) { entries.withLock { $0[slotID, default: Entry()].strict = true } }

    func isStrict(_ slotID: Int64) -> Bool { entries.withLock { $0[slotID]?.strict ?? false } }

    // MARK: observability

    /// Viewing sockets open now, and the bytes their probe caches hold.
    var usage: (sockets: Int, cacheBytes: Int) {
        let sockets = entries.withLock { $0.values.compactMap(\.socket) }
        return (sockets.count, sockets.reduce(0) { $0 + $1.cacheBytes })
    }
}
