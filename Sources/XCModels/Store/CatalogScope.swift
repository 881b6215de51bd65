/// What one user may see of the catalog: everything, or the categories of the user's allow-list.
/// Applied to category lists, title lists, info answers, the playlist and stream paths alike, so a
/// title outside the list does not exist for that user (404 on its stream path). A value the store's
/// catalog reads take: only the store turns it into SQL.
public struct CatalogScope: Sendable, Equatable {
    /// nil: every category.
    public var allowedCategories: [Int64]?
    /// How the user sees a title's variants (every entry, or the best one per title).
    public var variants: VariantView
    /// Live channels the provider marks `is_adult` do not exist for this user (`User.hideAdult`).
    public var hideAdult: Bool

    public static let everything = CatalogScope(allowedCategories: nil)

    public init(allowedCategories: [Int64]?, variants: VariantView = .all, hideAdult: Bool = false) {
        self.allowedCategories = allowedCategories
        self.variants = variants
        self.hideAdult = hideAdult
    }

    public init(_ login: Login) {
        self.allowedCategories = login.allowedCategories
        self.variants = login.user.variantView
        self.hideAdult = login.user.hideAdult
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
        let user = try await user(id: userID)
        return CatalogScope(allowedCategories: try await allowedCategories(userID: userID),
                            variants: user?.variantView ?? .all, hideAdult: user?.hideAdult ?? false)
    }
}
