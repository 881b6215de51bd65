import Foundation
import Hummingbird
import XCModels

/// Merged categories (accounts' categories of one kind with the same name are one category):
///
/// - `GET /api/categories?kind=movie|series|live` (every kind when `kind` is left out) →
///   `{"categories": [Category]}` by kind then name.
/// - `GET /api/categories/{id}` → `{"category": Category}`.
/// - `PATCH /api/categories/{id}/accounts/{account_id}` `{"enabled": false}` → `{"category": Category}`.
///   A disabled category's titles from that account stop being served at once (titles another account
///   still serves stay, from that account) and are not imported at the next sync. 404 when the
///   category is unknown or the account does not carry it.
///
/// A `Category` is `{"id", "kind", "name", "titles", "accounts": [{"account_id", "account_name",
/// "provider_category_id", "enabled", "titles"}]}`: the top-level `titles` counts served titles in the
/// category (what clients list), each account's `titles` the distinct titles it holds live (not stale)
/// relations for there, served or not. `{account_id}` is the numeric id or the account's name.
struct CategoriesController: RouteGroup {
    let services: AppServices

    struct One: Encodable { var category: AdminCategory }
    struct Many: Encodable { var categories: [AdminCategory] }

    struct EnabledBody: Decodable {
        var enabled: Bool

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled }

        init(from decoder: any Decoder) throws {
            try AdminInput.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
            enabled = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .enabled)
        }
    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("categories") { request, _ in
            let kind: CatalogKind?
            switch AdminInput.query(request, "kind") {
            case nil, "": kind = nil
            case "movie": kind = .movie
            case "series": kind = .series
            case "live": kind = .live
            case let other?: throw APIError.invalid("kind", "must be movie, series or live, got '\(other)'")
            }
            return try AdminJSON.response(Many(categories: try await services.store.adminCategories(kind: kind)))
        }
        api.get("categories/:id") { _, context in
            try AdminJSON.response(One(category: try await category(context)))
        }
        api.patch("categories/:id/accounts/:account_id") { request, context in
            let category = try await category(context)
            let account = try await AccountsController.account(context.parameters.get("account_id") ?? "", store: services.store)
            let body = try await AdminInput.body(EnabledBody.self, request, context)
            guard try await services.store.setCategoryEnabled(accountID: account.id!, categoryID: category.id, enabled: body.enabled) else {
                throw APIError.notFound("account '\(account.name)' does not carry \(category.kind) category \(category.id) '\(category.name)'")
            }
            services.logger.info("[api] \(category.kind) category '\(category.name)' \(body.enabled ? "enabled" : "disabled") for account '\(account.name)'")
            return try AdminJSON.response(One(category: try await self.category(context)))
        }
    }

    private func category(_ context: XCRequestContext) async throws -> AdminCategory {
        let id = try AdminInput.pathID(context, "id", what: "category")
        guard let category = try await services.store.adminCategories(kind: nil, id: id).first else {
            throw APIError.notFound("no category \(id)")
        }
        return category
    }
}
