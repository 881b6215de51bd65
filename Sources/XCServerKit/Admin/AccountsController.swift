import Foundation
import Hummingbird
import NIOCore
import Sync
import XCModels

/// Provider accounts:
///
/// - `GET /api/accounts` → `{"accounts": [Account]}`, highest priority first (admission order).
/// - `POST /api/accounts` `{"name", "url", "username", "password", "max_connections"?: 1, "priority"?: 0,
///   "enabled"?: true, "user_agent"?: null, "socket_limit"?: "tolerant", "group"?: null}` → 201 `{"account": Account}` (`Location: /api/accounts/{id}`).
/// - `GET /api/accounts/{id}` → `{"account": Account}`.
/// - `PATCH /api/accounts/{id}` with any of the create fields (`user_agent: null` and `group: null` clear them)
///   → `{"account": Account}`.
///   Priority and `enabled` changes re-choose at once which relation of every title is served.
/// - `DELETE /api/accounts/{id}` → 204. Its relations and category links go, titles only it held are
///   removed, and every remaining title's served relation is re-chosen. 409 while a sync job runs.
/// - `POST /api/accounts/{id}/test` → `{"account": {"id", "name"}, "status", "exp_date", "max_connections",
///   "active_cons"}` as the provider's `user_info` says (numbers or null); 502 `provider_error` when the
///   provider is unreachable, answers an error or rejects the credentials.
/// - `POST /api/accounts/test` with a create body → the same answer for an account not saved yet
///   (`"account": {"id": null, "name"}`): the web page shows it before the admin saves. Nothing is written.
///
/// `{id}` is the numeric account id, or the account's name. An `Account` is `{"id", "name", "url",
/// "username", "password": "****", "max_connections", "priority", "enabled", "user_agent", "socket_limit", "group", "created_at",
/// "load", "catalog": {"movies", "series", "episodes", "stale"}}`: the provider password is **never
/// returned; it is always masked as `"****"`** (and `"****"` is refused as a new password). `load` is
/// the account's live slots now; `catalog` counts its live relations per kind and its stale ones. `group` is
/// the account's capacity group (accounts that are one provider login share its limit, docs/slots.md), or null.
///
/// Input is validated before anything is written: 400 naming the field (`url` must be http(s) with a
/// host, `max_connections` ≥ 1, `name` and `username` not empty, unknown fields refused), 409 on a
/// name another account has.
struct AccountsController: RouteGroup {
    let services: AppServices
    static let testTimeout: Duration = .seconds(15)

    struct AccountAnswer: Encodable {
        var account: Account
        var load: Int
        var catalog: AccountCatalogCounts

        enum CodingKeys: String, CodingKey {
            case id, name, url, username, password, priority, enabled, load, catalog, group, maxConnections, userAgent
            case createdAt, socketLimit
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(account.id, forKey: .id)
            try c.encode(account.name, forKey: .name)
            try c.encode(account.baseURL, forKey: .url)
            try c.encode(account.username, forKey: .username)
            try c.encode(AdminInput.passwordMask, forKey: .password)
            try c.encode(account.maxConnections, forKey: .maxConnections)
            try c.encode(account.priority, forKey: .priority)
            try c.encode(account.enabled, forKey: .enabled)
            try c.encode(account.userAgent, forKey: .userAgent)
            try c.encode(account.socketLimit.rawValue, forKey: .socketLimit)
            try c.encode(account.capacityGroup, forKey: .group)
            try c.encode(account.createdAt, forKey: .createdAt)
            try c.encode(load, forKey: .load)
            try c.encode(catalog, forKey: .catalog)
        }
    }

    struct One: Encodable { var account: AccountAnswer }
    struct Many: Encodable { var accounts: [AccountAnswer] }

    /// Every field of a create or PATCH body.
    struct Body: Decodable {
        var name: PatchField<String>
        var url: PatchField<String>
        var username: PatchField<String>
        var password: PatchField<String>
        var maxConnections: PatchField<Int>
        var priority: PatchField<Int>
        var enabled: PatchField<Bool>
        var userAgent: PatchField<String>
        var socketLimit: PatchField<String>
        var group: PatchField<String>

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, url, username, password, priority, enabled, group
            case maxConnections = "max_connections"
            case userAgent = "user_agent"
            case socketLimit = "socket_limit"
        }

        init(from decoder: any Decoder) throws {
            try AdminInput.rejectUnknownKeys(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.patch(String.self, .name)
            url = try c.patch(String.self, .url)
            username = try c.patch(String.self, .username)
            password = try c.patch(String.self, .password)
            maxConnections = try c.patch(Int.self, .maxConnections)
            priority = try c.patch(Int.self, .priority)
            enabled = try c.patch(Bool.self, .enabled)
            userAgent = try c.patch(String.self, .userAgent)
            socketLimit = try c.patch(String.self, .socketLimit)
            group = try c.patch(String.self, .group)
        }

        /// Applies the body to `account` (a blank one when creating), refusing nulls where a value is needed.
        func apply(to account: inout Account) throws {
            if let name = try name.required("name") { account.name = name.trimmingCharacters(in: .whitespaces) }
            if let url = try url.required("url") { account.baseURL = Account.normalizedBaseURL(url) }
            if let username = try username.required("username") { account.username = username }
            if let password = try password.required("password") {
                try AdminInput.checkPassword(password)
                account.password = password
            }
            if let maxConnections = try maxConnections.required("max_connections") { account.maxConnections = maxConnections }
            if let priority = try priority.required("priority") { account.priority = priority }
            if let enabled = try enabled.required("enabled") { account.enabled = enabled }
            userAgent.clearable(&account.userAgent) { $0.isEmpty ? nil : $0 }
            if let text = try socketLimit.required("socket_limit") {
                guard let limit = SocketLimit(rawValue: text) else {
                    throw InvalidField(field: "socket_limit", message: "must be 'strict' or 'tolerant', got '\(text)'")
                }
                account.socketLimit = limit
            }
            group.clearable(&account.capacityGroup) { Account.normalizedGroup($0) }
        }
    }

    struct TestAnswer: Encodable {
        struct Ref: Encodable {
            /// Null when the account is not saved (`POST /api/accounts/test`).
            @Nullable var id: Int64?
            var name: String
        }
        var account: Ref
        @Nullable var status: String?
        @Nullable var expDate: Int?
        @Nullable var maxConnections: Int?
        @Nullable var activeCons: Int?
    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("accounts") { _, _ in
            try AdminJSON.response(Many(accounts: try await answers(for: try await services.store.accounts())))
        }
        api.post("accounts") { request, context in try await create(request, context) }
        api.get("accounts/:id") { _, context in
            try AdminJSON.response(One(account: try await answer(for: try await account(context))))
        }
        api.patch("accounts/:id") { request, context in try await update(request, context) }
        api.delete("accounts/:id") { _, context in try await delete(context) }
        api.post("accounts/:id/test") { _, context in try await test(try await account(context)) }
        api.post("accounts/test") { request, context in try await test(try await unsaved(request, context)) }
    }

    /// The account named by `:id`: its numeric id, else its name.
    static func account(_ text: String, store: Store) async throws -> Account {
        if let id = Int64(text), let account = try await store.account(id: id) { return account }
        if let account = try await store.account(named: text) { return account }
        throw APIError.notFound("no account '\(text)'")
    }

    private func account(_ context: XCRequestContext, _ name: String = "id") async throws -> Account {
        try await Self.account(context.parameters.get(name) ?? "", store: services.store)
    }

    private func answers(for accounts: [Account]) async throws -> [AccountAnswer] {
        let counts = try await services.store.accountCatalogCounts()
        let snapshot = await services.slots.snapshot()
        return accounts.map { account in
            AccountAnswer(
                account: account, load: snapshot.account(account.id!)?.load ?? 0, catalog: counts[account.id!] ?? AccountCatalogCounts())
        }
    }

    private func answer(for account: Account) async throws -> AccountAnswer {
        try await answers(for: [account])[0]
    }

    /// The account a create body describes, checked as `addAccount` would check it, not saved.
    private func unsaved(_ request: Request, _ context: XCRequestContext) async throws -> Account {
        let body = try await AdminInput.body(Body.self, request, context)
        for (field, value) in [("name", body.name), ("url", body.url), ("username", body.username), ("password", body.password)] {
            guard case .value = value else { throw APIError.invalid(field, "is required") }
        }
        var account = Account(name: "", baseURL: "", username: "", password: "")
        try body.apply(to: &account)
        do { try account.validate() } catch { throw APIError.invalid(error.field, error.message) }
        return account
    }

    private func create(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        let account = try await unsaved(request, context)
        let added = try await services.store.addAccount(account)
        services.logger.info("[api] account '\(added.name)' added (id \(added.id!))")
        var response = try AdminJSON.response(One(account: try await answer(for: added)), status: .created)
        response.headers[.location] = "/api/accounts/\(added.id!)"
        return response
    }

    private func update(_ request: Request, _ context: XCRequestContext) async throws -> Response {
        var account = try await account(context)
        let body = try await AdminInput.body(Body.self, request, context)
        try body.apply(to: &account)
        try await services.store.updateAccount(account)
        services.logger.info("[api] account '\(account.name)' (id \(account.id!)) updated")
        return try AdminJSON.response(One(account: try await answer(for: account)))
    }

    private func delete(_ context: XCRequestContext) async throws -> Response {
        let account = try await account(context)
        // A running sync holds ids of this account's rows; deleting under it would leave them half-written.
        if services.jobs.isRunning {
            throw APIError.conflict("a sync job is running; delete the account when it has ended")
        }
        guard try await services.store.deleteAccount(id: account.id!) else { throw APIError.notFound("no account '\(account.id!)'") }
        services.logger.info("[api] account '\(account.name)' (id \(account.id!)) deleted with its relations")
        return Response(status: .noContent)
    }

    private func test(_ account: Account) async throws -> Response {
        let info: ProviderObject
        do {
            // An account not saved yet has no id; its test goes through gate 0 (no saved account has that
            // id), so tests of unsaved accounts are paced among themselves like any one account.
            var paced = account
            paced.id = account.id ?? 0
            var client = services.sync.client(for: paced)
            // Someone is waiting on the answer; a panel that cannot log in within this is as good as down.
            client.objectTimeout = Self.testTimeout
            info = try await client.authenticate()
        } catch {
            var message = (error as? ProviderError)?.description ?? String(describing: error)
            message = Redaction.url(message)
            if !account.password.isEmpty { message = message.replacingOccurrences(of: account.password, with: "***") }
            throw APIError(status: .badGateway, code: "provider_error", message: "account '\(account.name)': \(message)")
        }
        return try AdminJSON.response(TestAnswer(
            account: .init(id: account.id, name: account.name), status: info.optionalString("status"),
            expDate: info.int("exp_date"), maxConnections: info.int("max_connections"), activeCons: info.int("active_cons")))
    }
}
