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
        c.public_id, r.name, r.epg_channel_id, c.category_ids, r.stream_icon, c.position,
        (SELECT COALESCE(MAX(x.tv_archive != 0), 0) FROM channel_relation x WHERE x.channel_id = c.id AND x.stale = 0),
        (SELECT COALESCE(MAX(x.tv_archive_duration), 0) FROM channel_relation x WHERE x.channel_id = c.id AND x.stale = 0 AND x.tv_archive != 0),
        a.id, a.name, a.priority, a.enabled, (SELECT COUNT(*) FROM channel_relation x WHERE x.channel_id = c.id)
        """
    private static let adminChannelFrom = """
        FROM channel c JOIN channel_relation r ON r.id = c.preferred_relation_id JOIN account a ON a.id = r.account_id
        """

    private static func adminChannel(_ row: Row) -> AdminChannel {
        AdminChannel(id: row[0], name: row[1], epgChannelID: row[2], categoryIDs: ids(row[3]), icon: row[4], num: row[5],
                     tvArchive: row[6], tvArchiveDuration: row[7],
                     account: AdminAccountRef(id: row[8], name: row[9], priority: row[10], enabled: row[11]), relations: row[12])
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
                SELECT x.id, a.id, a.name, a.priority, a.enabled, x.stream_id, x.num, x.name, x.epg_channel_id, x.tv_archive,
                       x.tv_archive_duration, x.category_ids, x.stale, x.id = c.preferred_relation_id
                FROM channel c JOIN channel_relation x ON x.channel_id = c.id JOIN account a ON a.id = x.account_id
                WHERE c.public_id = ? ORDER BY \(AdmissionOrder.sql()), x.id
                """, arguments: [publicID]).map { r in
                AdminChannelRelation(id: r[0], account: AdminAccountRef(id: r[1], name: r[2], priority: r[3], enabled: r[4]),
                                     streamID: r[5], num: r[6], name: r[7], epgChannelID: r[8], tvArchive: r[9], tvArchiveDuration: r[10],
                                     categoryIDs: Self.ids(r[11]), stale: r[12], served: r[13])
            }
            return (Self.adminChannel(row), relations)
        }
    }
}
