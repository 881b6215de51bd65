import XCModels

/// Imports one account's categories of one kind and returns the provider id → xcserver id map that
/// the title import uses.
///
/// Categories of one kind merge across accounts by exact (trimmed) name: clients see one "Action".
/// A category an admin disabled for an account stays disabled across syncs, and its provider id is
/// returned in `disabled` so the title import leaves that category's titles alone. This reads the
/// provider's items; the store does the merge (`Store.importCategories`).
enum CategoryImport {
    struct Result {
        var map: [String: Int64]
        var disabled: Set<String>
        var counts: SyncCounts
        /// The provider's category ids in the order it listed them.
        var order: [String] = []
    }

    /// The categories in `raws` (skipping what is not one), with a name for every category.
    static func parse(_ raws: [[UInt8]], counts: inout SyncCounts) -> [ProviderCategory] {
        var categories: [ProviderCategory] = []
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
            categories.append(ProviderCategory(providerID: providerID, name: name))
        }
        return categories
    }

    static func run(_ raws: [[UInt8]], kind: CatalogKind, accountID: Int64, now: Int64, store: Store) async throws -> Result {
        var counts = SyncCounts()
        let categories = parse(raws, counts: &counts)
        let outcome = try await store.importCategories(categories, kind: kind, accountID: accountID, now: now)
        counts.added += outcome.added
        counts.updated += outcome.updated
        counts.unchanged += outcome.unchanged
        return Result(map: outcome.map, disabled: outcome.disabled, counts: counts, order: categories.map(\.providerID))
    }
}
