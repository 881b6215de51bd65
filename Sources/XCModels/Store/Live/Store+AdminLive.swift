import GRDB

/// A served channel as the admin API lists it (`GET /api/live/channels`).
public struct AdminChannel: Sendable, Encodable, Equatable {
    public var id: Int64
    public var name: String
    public var epgChannelID: String
    public var categoryIDs: [Int64]
    public var icon: String
    /// The served position (`num` of the full `get_live_streams`).
    public var num: Int64
    public var tvArchive: Int
    public var tvArchiveDuration: Int
    public var account: AdminAccountRef
    public var relations: Int
}

/// One account's stream of a channel.
public struct AdminChannelRelation: Sendable, Encodable, Equatable {
    public var id: Int64
    public var account: AdminAccountRef
    public var streamID: Int
    public var num: Int
    public var name: String
    public var epgChannelID: String
    public var tvArchive: Int
    public var tvArchiveDuration: Int
    public var categoryIDs: [Int64]
    public var stale: Bool
    public var served: Bool
}

public typealias AdminChannelPage = AdminPage<AdminChannel>

extension Store {
    private static let adminChannelColumns = """
        c.public_id AS public_id, r.name AS name, r.epg_channel_id AS epg_channel_id, c.category_ids AS category_ids,
        r.stream_icon AS icon, c.position AS num,
        c.tv_archive AS tv_archive, c.tv_archive_duration AS tv_archive_duration,
        \(AdminAccountRef.columns), (SELECT COUNT(*) FROM channel_relation x WHERE x.channel_id = c.id) AS relations
        """
    private static let adminChannelFrom = """
        FROM channel c JOIN channel_relation r ON r.id = c.preferred_relation_id JOIN account a ON a.id = r.account_id
        """

    private static func adminChannel(_ row: Row) -> AdminChannel {
        AdminChannel(id: row["public_id"], name: row["name"], epgChannelID: row["epg_channel_id"], categoryIDs: ids(row["category_ids"]),
                     icon: row["icon"], num: row["num"], tvArchive: row["tv_archive"], tvArchiveDuration: row["tv_archive_duration"],
                     account: AdminAccountRef(row: row), relations: row["relations"])
    }

    /// One page of served channels in served order; `text`: case-insensitive substring of the name.
    public func adminChannels(categoryID: Int64?, text: String?, page: Int, perPage: Int) async throws -> AdminChannelPage {
        var conditions = ["1"]
        var arguments: [DatabaseValue] = []
        if let categoryID {
            conditions.append("EXISTS (SELECT 1 FROM json_each(c.category_ids) j WHERE j.value = ?)")
            arguments.append(categoryID.databaseValue)
        }
        if let text, !text.isEmpty {
            conditions.append("instr(swiftLowercaseString(r.name), ?) > 0")
            arguments.append(text.lowercased().databaseValue)
        }
        let filtered = Self.adminChannelFrom + " WHERE " + conditions.joined(separator: " AND ")
        let values = arguments
        return try await pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(filtered)", arguments: StatementArguments(values)) ?? 0
            let items = try Row.fetchAll(db, sql: "SELECT \(Self.adminChannelColumns) \(filtered) ORDER BY c.position LIMIT ? OFFSET ?",
                                         arguments: StatementArguments(values + [perPage.databaseValue, ((page - 1) * perPage).databaseValue]))
                .map(Self.adminChannel)
            return AdminChannelPage(items: items, page: page, perPage: perPage, total: total)
        }
    }

    /// A served channel by public id with its relations (admission order); nil when there is none.
    public func adminChannel(publicID: Int64) async throws -> (AdminChannel, [AdminChannelRelation])? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.adminChannelColumns) \(Self.adminChannelFrom) WHERE c.public_id = ?",
                                             arguments: [publicID]) else { return nil }
            let relations = try Row.fetchAll(db, sql: """
                SELECT x.id AS id, \(AdminAccountRef.columns), x.stream_id AS stream_id, x.num AS num, x.name AS name,
                       x.epg_channel_id AS epg_channel_id, x.tv_archive AS tv_archive, x.tv_archive_duration AS tv_archive_duration,
                       x.category_ids AS category_ids, x.stale AS stale, x.id = c.preferred_relation_id AS served
                FROM channel c JOIN channel_relation x ON x.channel_id = c.id JOIN account a ON a.id = x.account_id
                WHERE c.public_id = ? ORDER BY \(AdmissionOrder.sql()), x.id
                """, arguments: [publicID]).map { r in
                AdminChannelRelation(id: r["id"], account: AdminAccountRef(row: r), streamID: r["stream_id"], num: r["num"],
                                     name: r["name"], epgChannelID: r["epg_channel_id"], tvArchive: r["tv_archive"],
                                     tvArchiveDuration: r["tv_archive_duration"], categoryIDs: Self.ids(r["category_ids"]),
                                     stale: r["stale"], served: r["served"])
            }
            return (Self.adminChannel(row), relations)
        }
    }
}
