#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GRDB
import GRDBSQLite

/// A served channel as SQLite holds it, for a renderer that copies the columns' bytes straight into its
/// output (`get_live_streams`): no `String` per column, which were most of what a 30,000-channel
/// render decoded. Same rows, same order and same values as `LiveListRow`, without the category's
/// name (`get_live_streams` does not show it).
///
/// A text field holds the column's UTF-8 bytes up to its first NUL, the bytes a `String` of the column
/// holds (`String(cString:)`, GRDB's decoding), except that invalid UTF-8 is not repaired here: the
/// writer does it (`JSONWriter.escaped(_:)`), so the output is what the `String` would have written.
/// Valid only inside the callback that gets it: the bytes are the statement's current row.
public struct LiveListRowView {
    /// The channel's served position (the keyset), not shown to clients.
    let position: Int64
    public let publicID: Int64
    public let name: UnsafeBufferPointer<UInt8>
    public let streamIcon: UnsafeBufferPointer<UInt8>
    public let epgChannelID: UnsafeBufferPointer<UInt8>
    /// The provider's `added`, as it sent it; `firstSeen` is the fallback.
    public let added: UnsafeBufferPointer<UInt8>
    public let firstSeen: Int64
    public let isAdult: UnsafeBufferPointer<UInt8>
    public let categoryID: Int64?
    /// A JSON array.
    public let categoryIDs: UnsafeBufferPointer<UInt8>
    public let tvArchive: Int64
    public let tvArchiveDuration: Int64

    /// The current row of a statement of `Store.liveListSQL`, read as GRDB reads it for `LiveListRow`
    /// (`sqlite3_column_int64`, NULL for a nil id, text up to its NUL) but without copying.
    init(_ statement: SQLiteStatement) {
        typealias Column = LiveListRow.Column
        func int(_ column: Column) -> Int64 { sqlite3_column_int64(statement, CInt(column.rawValue)) }
        func text(_ column: Column) -> UnsafeBufferPointer<UInt8> {
            guard let start = sqlite3_column_text(statement, CInt(column.rawValue)) else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: start, count: strlen(UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)))
        }
        position = int(.position)
        publicID = int(.publicID)
        name = text(.name)
        streamIcon = text(.streamIcon)
        epgChannelID = text(.epgChannelID)
        added = text(.added)
        firstSeen = int(.firstSeen)
        isAdult = text(.isAdult)
        categoryID = sqlite3_column_type(statement, CInt(Column.categoryID.rawValue)) == SQLITE_NULL ? nil : int(.categoryID)
        categoryIDs = text(.categoryIDs)
        tvArchive = int(.tvArchive)
        tvArchiveDuration = int(.tvArchiveDuration)
    }
}

extension Store {
    /// `liveListPage` for a renderer of bytes: `add` gets each row as a `LiveListRowView` (valid only
    /// during the call) and its 1-based ordinal in the page, inside one short read transaction.
    public func liveListViewPage<Output: Sendable>(
        scope: CatalogScope, category: Int64?, hideAdult: Bool = false, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, LiveListRowView, Int) -> Void
    ) async throws -> ListPage<Output> {
        let sql = Self.liveListSQL(scope: scope, group: false)
        let arguments = Self.liveListArguments(scope: scope, category: category, hideAdult: hideAdult, after: after, limit: limit)
        return try await pool.read { db in
            var output = output
            var last = after
            var count = 0
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            while try rows.next() != nil {
                let row = LiveListRowView(statement.sqliteStatement)
                count += 1
                last = row.position
                add(&output, row, count)
            }
            return ListPage(output: output, count: count, last: last)
        }
    }
}
