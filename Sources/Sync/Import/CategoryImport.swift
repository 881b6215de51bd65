import GRDB
import XCModels

/// Imports one account's categories of one kind and returns the provider id → xcserver id map that
/// the title import uses.
///
/// Categories of one kind merge across accounts by exact (trimmed) name: clients see one "Action".
/// A category an admin disabled for an account stays disabled across syncs, and its provider id is
/// returned in `disabled` so the title import leaves that category's titles alone.
enum CategoryImport {
    struct Result {
        var map: [String: Int64]
        var disabled: Set<String>
        var counts: SyncCounts
    }

    static func run(_ raws: [[UInt8]], kind: CatalogKind, accountID: Int64, now: Int64, db: Database) throws -> Result {
        var counts = SyncCounts()
        var map: [String: Int64] = [:]
        for raw in raws {
            guard let item = try? ProviderObject(json: raw) else {
                counts.skip("not a JSON object")
                continue
            }
            guard let providerID = item.optionalString("category_id") else {
                counts.skip("missing category_id")
                continue
            }
            var name = item.string("category_name", "name").trimmingCharacters(in: .whitespacesAndNewlines)
            if name.isEmpty { name = "Category \(providerID)" }
            try db.execute(sql: "INSERT INTO category (kind, name) VALUES (?, ?) ON CONFLICT (kind, name) DO NOTHING",
                           arguments: [kind.rawValue, name])
            let categoryID = try Int64.fetchOne(db, sql: "SELECT id FROM category WHERE kind = ? AND name = ?",
                                                arguments: [kind.rawValue, name])!
            let previous = try Int64.fetchOne(db, sql: """
                SELECT category_id FROM account_category WHERE account_id = ? AND kind = ? AND provider_category_id = ?
                """, arguments: [accountID, kind.rawValue, providerID])
            try db.execute(sql: """
                INSERT INTO account_category (account_id, kind, provider_category_id, category_id, last_seen)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (account_id, kind, provider_category_id) DO UPDATE SET category_id = excluded.category_id, last_seen = excluded.last_seen
                """, arguments: [accountID, kind.rawValue, providerID, categoryID, now])
            switch previous {
            case nil: counts.added += 1
            case categoryID: counts.unchanged += 1
            default: counts.updated += 1
            }
            map[providerID] = categoryID
        }
        // Titles may name categories the list no longer has; keep mapping them from earlier syncs.
        let rows = try Row.fetchAll(db, sql: "SELECT provider_category_id, category_id, enabled FROM account_category WHERE account_id = ? AND kind = ?",
                                    arguments: [accountID, kind.rawValue])
        var disabled = Set<String>()
        for row in rows {
            if map[row[0]] == nil { map[row[0]] = row[1] }
            if !(row[2] as Bool) { disabled.insert(row[0]) }
        }
        return Result(map: map, disabled: disabled, counts: counts)
    }
}
