import XCModels

// `CatalogScope` is a store value (XCModels): the store alone turns an allow-list into SQL.
extension CatalogScope {
    static func of(_ user: User, store: Store) async throws -> CatalogScope {
        try await store.catalogScope(userID: user.id!)
    }
}
