import XCModels

/// What every list import (titles, channels) keeps while one account's list arrives, and the rule that
/// sorts each item: an item is read or skipped, then skipped when its id was listed already or its
/// primary category is disabled, left alone when its relation is known with the same content hash, an
/// update of its relation when the hash differs (or the relation was stale), else new.
///
/// A disabled category's items are neither imported nor marked stale: re-enabling it brings them back
/// as they were (they are not served meanwhile; see `Store.recomputePreferredRelations`).
struct ListTally {
    /// Provider category ids the admin disabled for this account.
    let disabledCategories: Set<String>
    /// The account's relations of this kind by provider id: stored ones, then what this list wrote.
    private var known: [Int: KnownRelation]
    private var seen = Set<Int>()
    private(set) var counts = SyncCounts()

    enum Sorted {
        case skipped, unchanged, update(relationID: Int64), new
    }

    init(known: [Int: KnownRelation], disabledCategories: Set<String>) {
        self.known = known
        self.disabledCategories = disabledCategories
    }

    /// Reads one raw item with `read`; nil, counted as skipped, when it is no JSON object or `read`
    /// refuses it.
    mutating func read<Item>(_ raw: [UInt8], _ read: (ProviderObject) throws(SkipReason) -> Item) -> Item? {
        let object: ProviderObject
        do {
            object = try ProviderObject(json: raw)
        } catch {
            counts.skip("not a JSON object")
            return nil
        }
        do {
            return try read(object)
        } catch {
            counts.skip(error.reason)
            return nil
        }
    }

    /// Sorts the item with provider id `id` (`idKey` names it in skip reasons) and counts it.
    mutating func sort(id: Int, idKey: String, primaryCategory: String?, hash: Int64) -> Sorted {
        guard seen.insert(id).inserted else {
            counts.skip("\(idKey) listed twice")
            return .skipped
        }
        if let primaryCategory, disabledCategories.contains(primaryCategory) {
            counts.skip("category disabled")
            return .skipped
        }
        guard let old = known[id] else {
            counts.added += 1
            return .new
        }
        if old.hash == hash && !old.stale {
            counts.unchanged += 1
            return .unchanged
        }
        known[id] = KnownRelation(id: old.id, hash: hash, stale: false)
        counts.updated += 1
        return .update(relationID: old.id)
    }

    /// Records the relation the store wrote for a new item.
    mutating func wrote(id: Int, relationID: Int64, hash: Int64) {
        known[id] = KnownRelation(id: relationID, hash: hash, stale: false)
    }

    /// The live relations the provider no longer lists: what the finished list marks stale (and counts).
    /// Throws the stale guard's refusal when that is more than `maxStaleFraction` of the live ones (a
    /// truncated or empty answer) and `force` is off.
    mutating func vanished(kind: String, force: Bool, maxStaleFraction: Double) throws -> [Int64] {
        let live = known.values.filter { !$0.stale }.count
        let vanished = known.filter { !$0.value.stale && !seen.contains($0.key) }.map(\.value.id)
        if !vanished.isEmpty, !force, Double(vanished.count) > Double(live) * maxStaleFraction {
            throw SyncFailure.staleGuard(kind: kind, wouldStale: vanished.count, live: live)
        }
        counts.stale = vanished.count
        return vanished
    }

    /// The merged ids of an item's provider categories: the first (nil for none) and all, as a JSON array.
    static func categories(_ providerIDs: [String], merged: [String: Int64]) -> (first: Int64?, json: String) {
        let mapped = providerIDs.compactMap { merged[$0] }
        return (mapped.first, "[" + mapped.map(String.init).joined(separator: ",") + "]")
    }
}
