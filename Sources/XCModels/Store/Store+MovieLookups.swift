import GRDB

extension Store {
    /// The public ids in `publicIDs` of movies whose provider detail is not stored yet.
    public func moviesWithoutDetail(publicIDs: ClosedRange<Int64>) async throws -> [Int64] {
        try await pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT public_id FROM movie WHERE public_id BETWEEN ? AND ? AND detail_fetched_at IS NULL",
                               arguments: [publicIDs.lowerBound, publicIDs.upperBound])
        }
    }

    /// Every movie relation's provider stream id with the public id of its movie (for one account's
    /// catalog, where stream ids are unique).
    public func moviePublicIDsByStreamID() async throws -> [Int: Int64] {
        try await pool.read { db in
            var ids: [Int: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT r.stream_id AS stream_id, m.public_id AS public_id FROM movie m JOIN movie_relation r ON r.movie_id = m.id
                """)
            while let row = try rows.next() { ids[row["stream_id"]] = row["public_id"] }
            return ids
        }
    }
}
