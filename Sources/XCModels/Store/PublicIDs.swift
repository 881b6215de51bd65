import GRDB
import Logging

/// Chooses the id a new title is known by to clients.
///
/// Clients build stream URLs from ids and some cache them, so the id is the provider's own stream id
/// when no other title of the kind uses it; on a collision (two accounts numbering independently) it
/// comes from a reserved range above 2,000,000,000, which still fits the 32-bit ints Android clients use.
enum PublicIDs {
    static let reservedBase: Int64 = 2_000_000_000

    static func choose(for providerID: Int, in table: String, db: Database, logger: Logger) throws -> Int64 {
        let wanted = Int64(providerID)
        // Cached statements: an import asks this once per new title.
        if wanted < reservedBase,
           try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM \(table) WHERE public_id = ?"), arguments: [wanted]) == nil {
            return wanted
        }
        let highest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(public_id) FROM \(table) WHERE public_id > ?"),
                                         arguments: [reservedBase])
        let id = (highest ?? reservedBase) + 1
        logger.info("[sync] \(table) id \(providerID) is taken by another title; handing out \(id) instead")
        return id
    }
}
