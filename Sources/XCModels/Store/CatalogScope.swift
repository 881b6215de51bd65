/// What one user may see of the catalog: everything, or the categories of the user's allow-list.
/// Applied to category lists, title lists, info answers, the playlist and stream paths alike, so a
/// title outside the list does not exist for that user (404 on its stream path). A value the store's
/// catalog reads take: only the store turns it into SQL.
public struct CatalogScope: Sendable, Equatable {
    /// nil: every category.
    public var allowedCategories: [Int64]?
    /// How the user sees a title's variants (every entry, or the best one per title).
    public var variants: VariantView

    public static let everything = CatalogScope(allowedCategories: nil)

    public init(allowedCategories: [Int64]?, variants: VariantView = .all) {
        self.allowedCategories = allowedCategories
        self.variants = variants
    }

    public init(_ login: Login) {
        self.allowedCategories = login.allowedCategories
        self.variants = login.user.variantView
    }

    /// `AND …` restricting a title table aliased `alias` (with its `category_ids` union), or "".
    func titleFilter(_ alias: String) -> String {
        guard let allowed = allowedCategories else { return "" }
        return " AND EXISTS (SELECT 1 FROM json_each(\(alias).category_ids) j WHERE j.value IN (\(list(allowed))))"
    }

    /// `AND …` restricting a category table aliased `alias`, or "".
    func categoryFilter(_ alias: String) -> String {
        guard let allowed = allowedCategories else { return "" }
        return " AND \(alias).id IN (\(list(allowed)))"
    }

    // Integers only, so inlining them is safe and lets SQLite plan the common no-list case unchanged.
    private func list(_ ids: [Int64]) -> String { ids.map(String.init).joined(separator: ",") }
}

extension Store {
    /// The scope of `userID`: its allow-list (or everything) and its variant view.
    public func catalogScope(userID: Int64) async throws -> CatalogScope {
        CatalogScope(allowedCategories: try await allowedCategories(userID: userID),
                     variants: try await user(id: userID)?.variantView ?? .all)
    }
}
