import GRDB

/// What a live viewing is watching, as a person reads it: the id clients know and the provider's name.
public struct SlotTitle: Sendable, Equatable {
    public var publicID: Int64
    public var name: String
}

extension Store {
    /// The titles behind movie and episode relation ids (what `/api/connections` names per viewing).
    /// Relations that no longer exist are left out.
    public func slotTitles(movieRelations: [Int64], episodeRelations: [Int64]) async throws
        -> (movies: [Int64: SlotTitle], episodes: [Int64: SlotTitle])
    {
        return try await pool.read { db in
            (try Self.slotTitles(db, "SELECT r.id AS id, m.public_id AS public_id, r.name AS name FROM movie_relation r JOIN movie m ON m.id = r.movie_id", movieRelations),
             try Self.slotTitles(db, "SELECT r.id AS id, e.public_id AS public_id, r.title AS name FROM episode_relation r JOIN episode e ON e.id = r.episode_id", episodeRelations))
        }
    }

    private static func slotTitles(_ db: Database, _ sql: String, _ ids: [Int64]) throws -> [Int64: SlotTitle] {
        guard !ids.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        var titles: [Int64: SlotTitle] = [:]
        for row in try Row.fetchAll(db, sql: sql + " WHERE r.id IN (\(marks))", arguments: StatementArguments(ids)) {
            titles[row["id"]] = SlotTitle(publicID: row["public_id"], name: row["name"])
        }
        return titles
    }
}
