import GRDB

/// One page of a list read in id order (keyset pagination): what the caller built from its rows inside
/// the page's read transaction, how many rows there were, and the id to continue after. Large lists
/// (`get_vod_streams`, `get_series`, the playlist) are read this way so they never exist whole in
/// memory and a sync can commit between pages.
public struct ListPage<Output: Sendable>: Sendable {
    public var output: Output
    public var count: Int
    public var last: Int64
}

/// A list row with the keyset id its page continues after.
protocol KeysetRecord: FetchableRecord, Sendable {
    var id: Int64 { get }
}

extension Store {
    /// Reads one page of `sql` (whose arguments end with the limit) and folds its rows into `output`;
    /// `add` gets each row and its 1-based ordinal in the page, inside one short read transaction.
    func listPage<Record: KeysetRecord, Output: Sendable>(
        _ type: Record.Type, sql: String, arguments: StatementArguments, after: Int64, into output: Output,
        _ add: @escaping @Sendable (inout Output, Record, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await pool.read { db in
            var output = output
            var last = after
            var count = 0
            let rows = try Record.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                count += 1
                last = row.id
                add(&output, row, count)
            }
            return ListPage(output: output, count: count, last: last)
        }
    }
}
