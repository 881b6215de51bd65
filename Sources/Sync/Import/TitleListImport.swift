import Foundation
import Logging
import XCModels

/// Imports one account's list of one kind (movies or series), batch by batch as it downloads.
///
/// Items already known by (account, provider id) with the same content hash are left untouched; new
/// ones join the entry of their title and variant (tmdb, imdb or name+year, then the variant key; a
/// second copy in one account is an entry of its own, docs/variants.md), or create one. Staleness is decided only in
/// `finish`, once the whole list arrived, and is guarded against a truncated or empty answer.
struct TitleListImport<Item: ListItem> {
    let accountID: Int64
    let now: Int64
    let categories: [String: Int64]
    /// Provider category ids the admin disabled for this account: their titles are left as they are.
    let disabledCategories: Set<String>
    let logger: Logger
    private var known: [Int: KnownRelation] = [:]
    private var seen = Set<Int>()
    private(set) var counts = SyncCounts()

    init(store: Store, accountID: Int64, categories: [String: Int64], disabledCategories: Set<String> = [], now: Int64, logger: Logger) async throws {
        self.accountID = accountID
        self.now = now
        self.categories = categories
        self.disabledCategories = disabledCategories
        self.logger = logger
        known = try await store.knownRelations(kind: Item.kind, accountID: accountID)
    }

    /// Reads one batch of the list and has the store write it (one transaction): changed items update
    /// their relation, new ones become relations of the title they are a copy of (`Store.importTitles`).
    mutating func importBatch(_ raws: [[UInt8]], store: Store) async throws {
        var updates: [(relationID: Int64, title: ListedTitle)] = []
        var inserts: [ListedTitle] = []
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
                counts.skip("\(Item.providerIDKey) listed twice")
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
            let title = ListedTitle(
                providerID: item.providerID, identity: item.identity, listing: item.listing, categoryID: mapped.first,
                categoryIDs: "[" + mapped.map(String.init).joined(separator: ",") + "]",
                extra: String(decoding: raw, as: UTF8.self), hash: hash)
            if let old = known[item.providerID] {
                if old.hash == hash && !old.stale {
                    counts.unchanged += 1
                    continue
                }
                updates.append((old.id, title))
                known[item.providerID] = KnownRelation(id: old.id, hash: hash, stale: false)
                counts.updated += 1
            } else {
                inserts.append(title)
                counts.added += 1
            }
        }
        guard !updates.isEmpty || !inserts.isEmpty else { return }
        let inserted = try await store.importTitles(kind: Item.kind, accountID: accountID, updates: updates, inserts: inserts,
                                                    now: now, logger: logger)
        for title in inserts {
            known[title.providerID] = KnownRelation(id: inserted[title.providerID]!, hash: title.hash, stale: false)
        }
    }

    /// Marks what the provider no longer lists as stale, unless that would be more than
    /// `maxStaleFraction` of the live relations (a truncated or empty answer) and `force` is off.
    mutating func finish(store: Store, force: Bool, maxStaleFraction: Double) async throws {
        let vanished = try StaleGuard.vanished(known: known, seen: seen, kind: Item.reportKey, force: force, maxStaleFraction: maxStaleFraction)
        try await store.finishTitleList(kind: Item.kind, accountID: accountID, staleIDs: vanished, now: now)
        counts.stale = vanished.count
    }
}

/// The stale guard of every list kind (titles, channels).
enum StaleGuard {
    /// The live relations of `known` the provider no longer lists (`seen`): what a finished list marks
    /// stale. Throws the stale guard's refusal when that is more than `maxStaleFraction` of the live
    /// ones (a truncated or empty answer) and `force` is off. Shared by every list kind.
    static func vanished(known: [Int: KnownRelation], seen: Set<Int>, kind: String, force: Bool, maxStaleFraction: Double) throws -> [Int64] {
        let live = known.values.filter { !$0.stale }.count
        let vanished = known.filter { !$0.value.stale && !seen.contains($0.key) }.map(\.value.id)
        if !vanished.isEmpty, !force, Double(vanished.count) > Double(live) * maxStaleFraction {
            throw SyncFailure.staleGuard(kind: kind, wouldStale: vanished.count, live: live)
        }
        return vanished
    }
}
