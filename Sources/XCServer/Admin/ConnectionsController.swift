import Foundation
import Hummingbird
import XCModels

/// `GET /api/connections`: every live slot and every account's load against its `max_connections`.
struct ConnectionsController: Sendable {
    let services: AppServices

    struct Answer: Encodable {
        struct AccountLoad: Encodable {
            var id: Int64
            var name: String
            var enabled: Bool
            var priority: Int
            var load: Int
            var maxConnections: Int
            var backoffSeconds: Double?

            enum CodingKeys: String, CodingKey {
                case id, name, enabled, priority, load
                case maxConnections = "max_connections"
                case backoffSeconds = "backoff_seconds"
            }
        }
        var slots: [SlotSnapshot.Slot]
        var accounts: [AccountLoad]
        var users: [SlotSnapshot.User]
    }

    func register(on router: Router<XCRequestContext>) {
        router.get("api/connections") { request, _ in
            if let refusal = AdminAuth.check(request, token: services.config.adminToken) { return refusal }
            let snapshot = await services.slots.snapshot()
            let accounts = try await services.store.accounts().map { account in
                let live = snapshot.account(account.id!)
                return Answer.AccountLoad(
                    id: account.id!, name: account.name, enabled: account.enabled, priority: account.priority,
                    load: live?.load ?? 0, maxConnections: account.maxConnections, backoffSeconds: live?.backoffSeconds)
            }
            return try AdminAuth.json(Answer(slots: snapshot.slots, accounts: accounts, users: snapshot.users))
        }
    }
}

/// The admin API's bearer-token check and JSON answers.
enum AdminAuth {
    /// nil when the request may proceed; else the 401 to answer.
    static func check(_ request: Request, token: String?) -> Response? {
        let presented = request.headers[.authorization].flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        guard let token, !token.isEmpty else {
            return error(.unauthorized, code: "unauthorized", message: "the admin API is off: start serve with --admin-token or XC_ADMIN_TOKEN")
        }
        guard let presented, constantTimeEqual(presented, token) else {
            return error(.unauthorized, code: "unauthorized", message: "missing or wrong admin token (Authorization: Bearer TOKEN)")
        }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response.json(Array(try encoder.encode(value)), status: status)
    }

    static func error(_ status: HTTPResponse.Status, code: String, message: String) -> Response {
        let body = ["error": ["code": code, "message": message]]
        return (try? json(body, status: status)) ?? Response(status: status)
    }
}
