import Foundation
import Logging
import XCModels

/// Imports one account's list of one kind (movies or series), batch by batch as it downloads.
///
/// Items already known by (account, provider id) with the same content hash are left untouched; new
/// ones join the entry of their title and variant (tmdb, imdb or name+year, then the variant key; a
/// second copy in one account is an entry of its own, docs/variants.md), or create one. Staleness is decided only in
/// `finish`, once the whole list arrived, and is guarded against a truncated or empty answer.
struct TitleListImport {
    let list: TitleList
    let accountID: Int64
    let now: Int64
    let categories: [String: Int64]
    let logger: Logger
    private var tally: ListTally
    var counts: SyncCounts { tally.counts }

    /// `disabledCategories`: provider category ids the admin disabled for this account (see `ListTally`).
    init(_ list: TitleList, store: Store, accountID: Int64, categories: [String: Int64], disabledCategories: Set<String> = [], now: Int64,
         logger: Logger) async throws {
        self.list = list
        self.accountID = accountID
        self.now = now
        self.categories = categories
        self.logger = logger
        tally = ListTally(known: try await store.knownRelations(kind: list.kind, accountID: accountID), disabledCategories: disabledCategories)
    }

    /// Reads one batch of the list and has the store write it (one transaction): changed items update
    /// their relation, new ones become relations of the title they are a copy of (`Store.importTitles`).
    mutating func importBatch(_ raws: [[UInt8]], store: Store) async throws {
        var updates: [(relationID: Int64, title: ListedTitle)] = []
        var inserts: [ListedTitle] = []
        for raw in raws {
            let list = list
            guard let item = tally.read(raw, { object throws(SkipReason) in try TitleItem(object: object, of: list) }) else { continue }
            let hash = ContentHash.of(raw)
            let sorted = tally.sort(id: item.providerID, idKey: list.idName, primaryCategory: item.providerCategoryIDs.first, hash: hash)
            func title() -> ListedTitle {
                let (first, all) = ListTally.categories(item.providerCategoryIDs, merged: categories)
                return ListedTitle(providerID: item.providerID, identity: item.identity, listing: item.listing, categoryID: first,
                                   categoryIDs: all, extra: String(decoding: raw, as: UTF8.self), hash: hash)
            }
            switch sorted {
            case .skipped, .unchanged: continue
            case .update(let relationID): updates.append((relationID, title()))
            case .new: inserts.append(title())
            }
        }
        guard !updates.isEmpty || !inserts.isEmpty else { return }
        let inserted = try await store.importTitles(kind: list.kind, accountID: accountID, updates: updates, inserts: inserts,
                                                    now: now, logger: logger)
        for title in inserts {
            tally.wrote(id: title.providerID, relationID: inserted[title.providerID]!, hash: title.hash)
        }
    }

    /// Marks what the provider no longer lists as stale, unless that would be more than
    /// `maxStaleFraction` of the live relations (a truncated or empty answer) and `force` is off.
    mutating func finish(store: Store, force: Bool, maxStaleFraction: Double) async throws {
        let vanished = try tally.vanished(kind: list.reportKey, force: force, maxStaleFraction: maxStaleFraction)
        try await store.finishTitleList(kind: list.kind, accountID: accountID, staleIDs: vanished, now: now)
    }
}
