import Foundation
import Hummingbird
import XCModels

/// Logins of the XC API (what TiviMate and the other apps are given):
///
/// - `GET /api/users` → `{"users": [User]}` by id.
/// - `POST /api/users` `{"username", "password", "max_connections"?: 1, "enabled"?: true, "expires_at"?: null,
///   "allowed_categories"?: []}` → 201 `{"user": User}` (`Location: /api/users/{id}`).
/// - `GET /api/users/{id}` → `{"user": User}`.
/// - `PATCH /api/users/{id}` with any of the create fields → `{"user": User}`. `expires_at`: Unix seconds,
///   or `null` for never. `allowed_categories`: merged category ids (movie or series, from
///   `GET /api/categories`) the user may see; `[]` lifts the restriction. The XC API applies it to
///   category lists, title lists, info answers, the playlist and stream paths (404 outside the list).
/// - `variants`: `"all"` (default: every variant of a title is its own entry) or `"best"` (one entry per
///   title, streaming the most preferred variant with room); `qualities` (e.g. `["2160p", "1080p"]`; `4K`,
///   `FHD`, `HD` are accepted) and `languages` (e.g. `["FR", "EN"]`) order the preference, most preferred
///   first; `max_quality` (`"1080p"`, or `null` for none) hides better copies in both views
///   (docs/variants.md).
/// - `DELETE /api/users/{id}` → 204.
///
/// `{id}` is the numeric user id, or the username. A `User` is `{"id", "username", "password": "****",
/// "max_connections", "enabled", "expires_at", "created_at", "active", "load", "allowed_categories",
/// "variants", "qualities", "languages", "max_quality"}`:
/// the password is **never returned; it is always masked as `"****"`**. `active` says whether the
/// login works now (enabled, not expired); `load` is the user's live viewings.
///
/// Validation before anything is written: 400 naming the field (`username`/`password` not empty,
/// `max_connections` ≥ 1, `expires_at` ≥ 0, unknown `allowed_categories` ids, unknown fields), 409 on a
/// username another user has.
struct UsersController: RouteGroup {
    let services: AppServices

    struct UserAnswer: Encodable {
        var user: User
        var allowedCategories: [Int64]
        var load: Int

        enum CodingKeys: String, CodingKey {
            case id, username, password, enabled, active, load, variants, qualities, languages, maxQuality, hideAdult
            case maxConnections, expiresAt, createdAt, allowedCategories
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user.id, forKey: .id)
            try c.encode(user.username, forKey: .username)
            try c.encode(AdminInput.passwordMask, forKey: .password)
            try c.encode(user.maxConnections, forKey: .maxConnections)
            try c.encode(user.enabled, forKey: .enabled)
            try c.encode(user.expiresAt, forKey: .expiresAt)
            try c.encode(user.createdAt, forKey: .createdAt)
            try c.encode(user.isActive(), forKey: .active)
            try c.encode(load, forKey: .load)
            try c.encode(allowedCategories, forKey: .allowedCategories)
            try c.encode(user.variants.rawValue, forKey: .variants)
            try c.encode(user.qualities, forKey: .qualities)
            try c.encode(user.languages, forKey: .languages)
            try c.encode(user.maxQuality, forKey: .maxQuality)
            try c.encode(user.hideAdult, forKey: .hideAdult)
        }
    }

    struct One: Encodable { var user: UserAnswer }
    struct Many: Encodable { var users: [UserAnswer] }

    struct Body: Decodable {
        var username: PatchField<String>
        var password: PatchField<String>
        var maxConnections: PatchField<Int>
        var enabled: PatchField<Bool>
        var expiresAt: PatchField<Int64>
        var allowedCategories: PatchField<[Int64]>
        var variants: PatchField<String>
        var qualities: PatchField<[String]>
        var languages: PatchField<[String]>
        var maxQuality: PatchField<String>
        var hideAdult: PatchField<Bool>

        enum CodingKeys: String, CodingKey, CaseIterable {
            case username, password, enabled, variants, qualities, languages
            case maxQuality = "max_quality"
            case hideAdult = "hide_adult"
            case maxConnections = "max_connections"
            case expiresAt = "expires_at"
            case allowedCategories = "allowed_categories"
        }

        init(from decoder: any Decoder) throws {
            try AdminInput.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            username = try c.patch(String.self, .username)
            password = try c.patch(String.self, .password)
            maxConnections = try c.patch(Int.self, .maxConnections)
            enabled = try c.patch(Bool.self, .enabled)
            expiresAt = try c.patch(Int64.self, .expiresAt)
            allowedCategories = try c.patch([Int64].self, .allowedCategories)
            variants = try c.patch(String.self, .variants)
            qualities = try c.patch([String].self, .qualities)
            languages = try c.patch([String].self, .languages)
            maxQuality = try c.patch(String.self, .maxQuality)
            hideAdult = try c.patch(Bool.self, .hideAdult)
        }

        /// The user's variant view with this body's fields applied (`null` lists mean `[]`).
        func variantView(of user: User) throws -> VariantView {
            func list(_ field: PatchField<[String]>, _ current: [String]) -> [String] {
                switch field {
                case .absent: current
                case .null: []
                case .value(let values): values
                }
            }
            let maxQuality: String?
            switch self.maxQuality {
            case .absent: maxQuality = user.maxQuality
            case .null: maxQuality = nil
            case .value(let text): maxQuality = text
            }
            do {
                return try VariantView(
                    mode: try variants.required("variants") ?? user.variants.rawValue,
                    qualities: list(qualities, user.qualities), languages: list(languages, user.languages), maxQuality: maxQuality)
            } catch let invalid as InvalidField {
                throw APIError.invalid(invalid.field, invalid.message)
            }
        }

        /// Applies the body to `user`; returns the new allow-list when the body sets one (`null` = `[]`).
        func apply(to user: inout User) throws -> [Int64]? {
            if let username = try username.required("username") { user.username = username }
            if let password = try password.required("password") {
                try AdminInput.checkPassword(password)
                user.password = password
            }
            if let maxConnections = try maxConnections.required("max_connections") { user.maxConnections = maxConnections }
            if let enabled = try enabled.required("enabled") { user.enabled = enabled }
            if let hideAdult = try hideAdult.required("hide_adult") { user.hideAdult = hideAdult }
            user.variantView = try variantView(of: user)
            switch expiresAt {
            case .absent: break
            case .null: user.expiresAt = nil
            case .value(let time):
                guard time >= 0 else { throw APIError.invalid("expires_at", "must be Unix seconds (0 or more) or null") }
                user.expiresAt = time
            }
            switch allowedCategories {
            case .absent: return nil
            case .null: return []
            case .value(let ids): return ids
            }
        }
    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("users") { _, _ in
            try AdminJSON.response(Many(users: try await answers(for: try await services.store.users())))
        }
        api.post("users") { request, context in try await create(request, context) }
        api.get("users/:id") { _, context in
            try AdminJSON.response(One(user: try await answer(for: try await user(context))))
        }
        api.patch("users/:id") { request, context in try await update(request, context) }
        api.delete("users/:id") { _, context in
            let user = try await user(context)
            guard try await services.store.deleteUser(id: user.id!) else { throw APIError.notFound("no user '\(user.id!)'") }
            services.logger.info("[api] user '\(user.username)' (id \(user.id!)) deleted")
            return Response(status: .noContent)
        }
    }

    /// The user named by `:id`: its numeric id, else its username.
    static func user(_ text: String, store: Store) async throws -> User {
        if let id = Int64(text), let user = try await store.user(id: id) { return user }
        if let user = try await store.user(named: text) { return user }
        throw APIError.notFound("no user '\(text)'")
    }

    private func user(_ context: XCRequestContext) async throws -> User {
        try await Self.user(context.parameters.get("id") ?? "", store: services.store)
    }

    private func answers(for users: [User]) async throws -> [UserAnswer] {
        let lists = try await services.store.allowedCategoriesByUser()
        let snapshot = await services.slots.snapshot()
        return users.map { user in
            UserAnswer(user: user, allowedCategories: lists[user.id!] ?? [], load: snapshot.user(user.id!)?.load ?? 0)
        }
    }

    private func answer(for user: User) async throws -> UserAnswer {
        try await answers(for: [user])[0]
    }

    private func create(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let body = try await AdminInput.body(Body.self, request, context)
        for (field, value) in [("username", body.username), ("password", body.password)] {
            guard case .value = value else { throw APIError.invalid(field, "is required") }
        }
        var user = User(username: "", password: "")
        let allowed = try body.apply(to: &user)
        let added = try await services.store.addUser(user, allowedCategories: allowed)
        services.logger.info("[api] user '\(added.username)' added (id \(added.id!))")
        var response = try AdminJSON.response(One(user: try await answer(for: added)), status: .created)
        response.headers[.location] = "/api/users/\(added.id!)"
        return response
    }

    private func update(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        var user = try await user(context)
        let body = try await AdminInput.body(Body.self, request, context)
        let allowed = try body.apply(to: &user)
        try await services.store.updateUser(user, allowedCategories: allowed)
        services.logger.info("[api] user '\(user.username)' (id \(user.id!)) updated")
        return try AdminJSON.response(One(user: try await answer(for: user)))
    }
}
