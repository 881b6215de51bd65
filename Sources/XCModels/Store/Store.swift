import Foundation
import GRDB

/// The embedded SQLite database: one file, WAL, so the API keeps reading while a sync writes.
public final class Store: Sendable {
    let pool: DatabasePool
    /// Every commit to the file, by this store or any other connection (see `StoreChanges`).
    public let changes: StoreChanges
    public let path: String
    /// Each reader connection's SQLite page cache, in KiB.
    static let readerCacheKB = 8192

    /// Opens (and migrates) the database at `path`; with `create` a missing file and its directory are
    /// made, without it a missing file is `StoreOpenError.missing`. Path problems throw `StoreOpenError`.
    public init(path: String, create: Bool = true) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL with NORMAL sync is durable across process crashes, which is what a home server needs.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Readers: a page cache (default 2 MB) that holds the served channels and their position index
            // (~4 MB for 30,000), so `get_live_streams`, which reads them by position and not in storage
            // order, reads each page once. Filled only as pages are read; the writer keeps the default.
            if db.configuration.readonly { try db.execute(sql: "PRAGMA cache_size = -\(Self.readerCacheKB)") }
        }
        try StoreOpenError.check(path, create: create)
        do {
            self.pool = try DatabasePool(path: path, configuration: configuration)
            self.path = path
            try Migrations.migrator.migrate(pool)
            var watching = Configuration()
            watching.readonly = true
            watching.busyMode = .timeout(10)
            self.changes = StoreChanges(watcher: try DatabaseQueue(path: path, configuration: watching))
            pool.add(transactionObserver: CommitObserver(changes), extent: .databaseLifetime)
        } catch let error as DatabaseError {
            throw StoreOpenError.from(error, path: path)
        }
    }
}
