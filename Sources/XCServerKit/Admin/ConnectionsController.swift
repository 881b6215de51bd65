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
            /// Null, not left out, when the account is not backing off.
            @Nullable var backoffSeconds: Double?

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

    func register(on api: RouterGroup<XCRequestContext>) {
        api.get("connections") { _, _ in
            let snapshot = await services.slots.snapshot()
            let accounts = try await services.store.accounts().map { account in
                let live = snapshot.account(account.id!)
                return Answer.AccountLoad(
                    id: account.id!, name: account.name, enabled: account.enabled, priority: account.priority,
                    load: live?.load ?? 0, maxConnections: account.maxConnections, backoffSeconds: live?.backoffSeconds)
            }
            return try AdminJSON.response(Answer(slots: snapshot.slots, accounts: accounts, users: snapshot.users))
        }
    }
}
