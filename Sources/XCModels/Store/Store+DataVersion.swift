import GRDB

extension Store {
    /// A number that changes whenever any other connection commits a write to the database: this
    /// process's own writes (sync, admin changes, fetched details) and those of another process on the
    /// same file (`xcserver sync` run from the command line) alike. Compare it with an earlier value
    /// only; its size means nothing.
    ///
    /// SQLite's `PRAGMA data_version`, asked on a connection that never writes, so every commit counts.
    /// It costs a few microseconds (no page is read while nothing changed), which is why the answer
    /// cache asks it on every request instead of trusting a notification (docs/under-load.md).
    public func dataVersion() throws -> Int64 {
        try watcher.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }
}
