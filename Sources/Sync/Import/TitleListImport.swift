import Foundation
import GRDB
import Logging
import XCModels

/// Imports one account's list of one kind (movies or series), batch by batch as it downloads.
///
/// Items already known by (account, provider id) with the same content hash are left untouched; new
/// ones are attached to an existing title when tmdb, imdb or name+year match (two copies in one
/// account become two relations of one title), or create a title. Staleness is decided only in
/// `finish`, once the whole list arrived, and is guarded against a truncated or empty answer.
struct TitleListImport<Item: ListItem> {
    private struct Known {
        var id: Int64
        var hash: Int64
        var stale: Bool
    }

    let accountID: Int64
    let now: Int64
    let categories: [String: Int64]
    /// Provider category ids the admin disabled for this account: their titles are left as they are.
    let disabledCategories: Set<String>
    let logger: Logger
    private var known: [Int: Known] = [:]
    private var seen = Set<Int>()
    private(set) var counts = SyncCounts()

    init(db: Database, accountID: Int64, categories: [String: Int64], disabledCategories: Set<String> = [], now: Int64, logger: Logger) throws {
        self.accountID = accountID
        self.now = now
        self.categories = categories
        self.disabledCategories = disabledCategories
        self.logger = logger
        let rows = try Row.fetchCursor(db, sql: """
            SELECT \(Item.providerIDColumn), id, content_hash, stale FROM \(Item.relationTable) WHERE account_id = ?
            """, arguments: [accountID])
        while let row = try rows.next() {
            known[row[0]] = Known(id: row[1], hash: row[2], stale: row[3])
        }
    }

    mutating func importBatch(_ raws: [[UInt8]], db: Database) throws {
        let setColumns = (Item.columns + ["category_id", "category_ids", "extra", "content_hash"]).map { "\($0) = ?" }
        let update = try db.cachedStatement(sql: """
            UPDATE \(Item.relationTable) SET \(setColumns.joined(separator: ", ")), last_seen = ?, stale = 0, stale_since = NULL
            WHERE id = ?
            """)
        let insertColumns = [Item.titleKey, "account_id", Item.providerIDColumn] + Item.columns
            + ["category_id", "category_ids", "extra", "content_hash", "first_seen", "last_seen"]
        let insert = try db.cachedStatement(sql: """
            INSERT INTO \(Item.relationTable) (\(insertColumns.joined(separator: ", ")))
            VALUES (\(Array(repeating: "?", count: insertColumns.count).joined(separator: ", ")))
            """)
        for raw in raws {
            let item: Item
            do {
                item = try Item(object: ProviderObject(json: raw))
            } catch let skip as SkipReason {
                counts.skip(skip.reason)
                continue
            } catch {
                counts.skip("not a JSON object")
                continue
            }
            guard seen.insert(item.providerID).inserted else {
                counts.skip("\(Item.providerIDColumn) listed twice")
                continue
            }
            // A disabled category's titles are neither imported nor marked stale: re-enabling it brings
            // them back as they were (they are not served meanwhile; see recomputePreferredRelations).
            if let primary = item.providerCategoryIDs.first, disabledCategories.contains(primary) {
                counts.skip("category disabled")
                continue
            }
            let hash = ContentHash.of(raw)
            let mapped = item.providerCategoryIDs.compactMap { categories[$0] }
            let categoryIDs = "[" + mapped.map(String.init).joined(separator: ",") + "]"
            let extra = String(decoding: raw, as: UTF8.self)
            let common: [(any DatabaseValueConvertible)?] = item.values + [mapped.first, categoryIDs, extra, hash] as [(any DatabaseValueConvertible)?]
            if let old = known[item.providerID] {
                if old.hash == hash && !old.stale {
                    counts.unchanged += 1
                    continue
                }
                try update.execute(arguments: StatementArguments(common + [now, old.id]))
                known[item.providerID] = Known(id: old.id, hash: hash, stale: false)
                counts.updated += 1
            } else {
                let titleID = try titleFor(item, db: db)
                try insert.execute(arguments: StatementArguments([titleID, accountID, item.providerID] + common + [now, now]))
                known[item.providerID] = Known(id: db.lastInsertedRowID, hash: hash, stale: false)
                counts.added += 1
            }
        }
    }

    /// The title this item is a copy of: tmdb, then imdb, then name+year (only where tmdb ids do not
    /// disagree); a new title otherwise. A match fills in ids the title was missing, so later copies
    /// match on them.
    private func titleFor(_ item: Item, db: Database) throws -> Int64 {
        let table = Item.titleTable
        let identity = item.identity
        var match: Int64?
        if let tmdb = identity.tmdb {
            match = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM \(table) WHERE tmdb = ? LIMIT 1"), arguments: [tmdb])
        }
        if match == nil, let imdb = identity.imdb {
            match = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM \(table) WHERE imdb = ? LIMIT 1"), arguments: [imdb])
        }
        if match == nil, !identity.nameKey.isEmpty {
            match = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT id FROM \(table) WHERE name_key = ? AND year IS ? AND (tmdb IS NULL OR ? IS NULL OR tmdb = ?)
                  AND (imdb IS NULL OR ? IS NULL OR imdb = ?) LIMIT 1
                """), arguments: [identity.nameKey, identity.year, identity.tmdb, identity.tmdb, identity.imdb, identity.imdb])
        }
        if let match {
            try db.cachedStatement(sql: "UPDATE \(table) SET tmdb = COALESCE(tmdb, ?), imdb = COALESCE(imdb, ?) WHERE id = ?")
                .execute(arguments: [identity.tmdb, identity.imdb, match])
            return match
        }
        let publicID = try PublicIDs.choose(for: item.providerID, in: table, db: db, logger: logger)
        try db.cachedStatement(sql: "INSERT INTO \(table) (public_id, tmdb, imdb, name_key, year) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [publicID, identity.tmdb, identity.imdb, identity.nameKey, identity.year])
        return db.lastInsertedRowID
    }

    /// Marks what the provider no longer lists as stale, unless that would be more than
    /// `maxStaleFraction` of the live relations (a truncated or empty answer) and `force` is off.
    mutating func finish(db: Database, force: Bool, maxStaleFraction: Double) throws {
        let live = known.values.filter { !$0.stale }.count
        let vanished = known.filter { !$0.value.stale && !seen.contains($0.key) }.map(\.value.id)
        if !vanished.isEmpty, !force, Double(vanished.count) > Double(live) * maxStaleFraction {
            throw SyncFailure.staleGuard(kind: Item.reportKey, wouldStale: vanished.count, live: live)
        }
        for chunk in stride(from: 0, to: vanished.count, by: 500).map({ vanished[$0..<min($0 + 500, vanished.count)] }) {
            try db.execute(
                sql: "UPDATE \(Item.relationTable) SET stale = 1, stale_since = ? WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments([now] + Array(chunk)))
        }
        counts.stale = vanished.count
        try db.execute(sql: "UPDATE \(Item.relationTable) SET last_seen = ? WHERE account_id = ? AND stale = 0",
                       arguments: [now, accountID])
    }
}
