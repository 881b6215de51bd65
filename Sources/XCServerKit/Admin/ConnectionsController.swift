import Foundation
import Hummingbird
import XCModels

/// `GET /api/connections`: every live slot (with the title it plays: public id and provider name) and
/// every account's load against its `max_connections`.
struct ConnectionsController: RouteGroup {
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
            /// The account's capacity group (docs/slots.md, "Capacity groups"); null when it has none.
            @Nullable var group: String?
        }
        /// A slot as the slot core sees it, plus the title it plays (null when the store no longer has it).
        struct SlotAnswer: Encodable {
            struct Title: Encodable {
                var id: Int64
                var name: String
            }
            var slot: SlotSnapshot.Slot
            var title: Title?

            enum CodingKeys: String, CodingKey { case title }

            func encode(to encoder: any Encoder) throws {
                try slot.encode(to: encoder)
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(title, forKey: .title)
            }
        }
        var slots: [SlotAnswer]
        var accounts: [AccountLoad]
        var users: [SlotSnapshot.User]
        /// Every watched live channel: its one upstream and every viewer reading from it.
        var liveChannels: [LiveHub.ChannelState]
    }

    func register(on api: some RouterMethods<XCRequestContext>) {
        api.get("connections") { _, _ in try AdminJSON.response(try await answer()) }
    }

    /// What `GET /api/connections` answers, also pushed by `GET /api/events`.
    func answer() async throws -> Answer {
        let snapshot = await services.slots.snapshot()
        let accounts = try await services.store.accounts().map { account in
            let live = snapshot.account(account.id!)
            return Answer.AccountLoad(
                id: account.id!, name: account.name, enabled: account.enabled, priority: account.priority,
                load: live?.load ?? 0, maxConnections: account.maxConnections, backoffSeconds: live?.backoffSeconds,
                group: account.capacityGroup)
        }
        let relations = { (kind: ContentKind) in snapshot.slots.filter { $0.viewer.kind == kind }.map(\.relationID) }
        let titles = try await services.store.slotTitles(movieRelations: relations(.movie), episodeRelations: relations(.episode))
        let slots = snapshot.slots.map { slot in
            let title = slot.viewer.kind == .movie ? titles.movies[slot.relationID] : titles.episodes[slot.relationID]
            return Answer.SlotAnswer(slot: slot, title: title.map { .init(id: $0.publicID, name: $0.name) })
        }
        let live = services.live.channels.values.sorted { ($0.id, $0.relationID) < ($1.id, $1.relationID) }
        return Answer(slots: slots, accounts: accounts, users: snapshot.users, liveChannels: live)
    }
}
