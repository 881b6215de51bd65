import GRDB
import Synchronization

/// Counts the changes of the database file, so that whoever keeps something read from it (the answer
/// cache) learns of a change without asking SQLite on every request (docs/under-load.md).
///
/// `count` is one atomic load. It moves when SQLite's `PRAGMA data_version`, asked on a connection of
/// its own that never writes, differs from the last value seen, which happens with every commit of any
/// other connection to the file. It is asked:
/// - right after every commit of this store (a transaction observer on its writer), before the write
///   call returns: an admin change, a sync step or a fetched detail shows in the very next request;
/// - every `watch(every:)` interval, for the commits of other processes (`xcserver sync` from the
///   command line) or of another `Store` on the same file, which are seen within that interval.
/// Asking only after commits (not on every write call) keeps an empty transaction from counting.
public final class StoreChanges: Sendable {
    private let watcher: DatabaseQueue
    /// The last `data_version` seen; `check` reads and compares under this lock so that the commit
    /// observer and the poll never count one change twice.
    private let lastVersion = Mutex<Int64?>(nil)
    private let counter = Atomic<UInt64>(0)
    private let poll = Mutex<Task<Void, Never>?>(nil)

    init(watcher: DatabaseQueue) {
        self.watcher = watcher
        check()
    }

    deinit {
        poll.withLock { $0?.cancel() }
    }

    /// How many changes were seen so far. Compare it with an earlier value only.
    public var count: UInt64 { counter.load(ordering: .acquiring) }

    /// Asks SQLite whether the file changed since the last check, and counts it when it did. A version
    /// that cannot be read counts as a change (nothing kept survives a doubt).
    public func check() {
        lastVersion.withLock { last in
            let version = try? watcher.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") }
            guard version == nil || version != last else { return }
            last = version
            counter.add(1, ordering: .releasing)
        }
    }

    /// Starts checking every `interval` (once; later calls keep the first interval), until the store is
    /// gone. Only a process that keeps answers needs it: the CLI's commands never start it.
    public func watch(every interval: Duration) {
        poll.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    self.check()
                }
            }
        }
    }
}

/// Tells `StoreChanges` of each commit of the store's writer.
final class CommitObserver: TransactionObserver, Sendable {
    let changes: StoreChanges

    init(_ changes: StoreChanges) { self.changes = changes }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { changes.check() }
    func databaseDidRollback(_ db: Database) {}
}
