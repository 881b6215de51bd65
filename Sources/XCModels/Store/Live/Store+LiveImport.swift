import GRDB
import Logging

/// One item of a provider's `get_live_streams`, read leniently, ready to store as that account's
/// relation of a channel.
public struct ListedChannel: Sendable {
    public var streamID: Int
    /// The provider's `num` (its order), else the item's position in the list.
    public var num: Int
    public var name: String
    public var streamIcon: String
    /// As the provider spells it ("" for none: `null` and `""` alike).
    public var epgChannelID: String
    public var added: String
    public var isAdult: String
    public var tvArchive: Int
    public var tvArchiveDuration: Int
    /// The merged id of the item's first category, nil for none.
    public var categoryID: Int64?
    /// The merged ids of all its categories, a JSON array.
    public var categoryIDs: String
    /// The whole item, a JSON object.
    public var extra: String
    public var hash: Int64

    public init(streamID: Int, num: Int, name: String, streamIcon: String, epgChannelID: String, added: String, isAdult: String,
                tvArchive: Int, tvArchiveDuration: Int, categoryID: Int64?, categoryIDs: String, extra: String, hash: Int64) {
        self.streamID = streamID
        self.num = num
        self.name = name
        self.streamIcon = streamIcon
        self.epgChannelID = epgChannelID
        self.added = added
        self.isAdult = isAdult
        self.tvArchive = tvArchive
        self.tvArchiveDuration = tvArchiveDuration
        self.categoryID = categoryID
        self.categoryIDs = categoryIDs
        self.extra = extra
        self.hash = hash
    }

    public var identity: ChannelIdentity { ChannelIdentity(epgChannelID: epgChannelID, name: name) }

    fileprivate var values: [DatabaseValue] {
        [num.databaseValue, name.databaseValue, streamIcon.databaseValue, epgChannelID.databaseValue, identity.epgKey.databaseValue,
         added.databaseValue, isAdult.databaseValue, tvArchive.databaseValue, tvArchiveDuration.databaseValue,
         categoryID.databaseValue, categoryIDs.databaseValue, extra.databaseValue, hash.databaseValue]
    }

    fileprivate static let columns = [
        "num", "name", "stream_icon", "epg_channel_id", "epg_key", "added", "is_adult", "tv_archive", "tv_archive_duration",
        "category_id", "category_ids", "extra", "content_hash",
    ]
}

extension Store {
    /// Every channel relation of `accountID`, by the provider's stream id.
    public func knownChannelRelations(accountID: Int64) async throws -> [Int: KnownRelation] {
        try await pool.read { db in
            var known: [Int: KnownRelation] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT stream_id, id, content_hash, stale FROM channel_relation WHERE account_id = ?",
                                           arguments: [accountID])
            while let row = try rows.next() {
                known[row["stream_id"]] = KnownRelation(id: row["id"], hash: row["content_hash"], stale: row["stale"])
            }
            return known
        }
    }

    /// Writes one batch of a live list in one transaction: `updates` rewrite the given relations (and
    /// make them live again; the relation stays with its channel), `inserts` join the channel with the
    /// same merge key and variant that holds no stream of this account yet, or create one. Returns the
    /// new relations' ids by stream id.
    public func importChannels(
        accountID: Int64, updates: [(relationID: Int64, channel: ListedChannel)], inserts: [ListedChannel], now: Int64, logger: Logger
    ) async throws -> [Int: Int64] {
        try await pool.write { db in
            let columns = ListedChannel.columns
            let update = try db.cachedStatement(sql: """
                UPDATE channel_relation SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")), last_seen = ?, stale = 0, stale_since = NULL
                WHERE id = ?
                """)
            let insertColumns = ["channel_id", "account_id", "stream_id"] + columns + ["first_seen", "last_seen"]
            let insert = try db.cachedStatement(sql: """
                INSERT INTO channel_relation (\(insertColumns.joined(separator: ", ")))
                VALUES (\(Array(repeating: "?", count: insertColumns.count).joined(separator: ", ")))
                """)
            for (relationID, channel) in updates {
                try update.execute(arguments: StatementArguments(channel.values + [now.databaseValue, relationID.databaseValue]))
            }
            var inserted: [Int: Int64] = [:]
            for channel in inserts {
                let channelID = try Self.channelFor(channel, accountID: accountID, db: db, logger: logger)
                try insert.execute(arguments: StatementArguments(
                    [channelID.databaseValue, accountID.databaseValue, channel.streamID.databaseValue] + channel.values
                        + [now.databaseValue, now.databaseValue]))
                inserted[channel.streamID] = db.lastInsertedRowID
            }
            return inserted
        }
    }

    private static func channelFor(_ listed: ListedChannel, accountID: Int64, db: Database, logger: Logger) throws -> Int64 {
        let identity = listed.identity
        if let match = try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT c.id FROM channel c WHERE c.merge_key = ? AND c.variant = ?
              AND NOT EXISTS (SELECT 1 FROM channel_relation r WHERE r.channel_id = c.id AND r.account_id = ?)
            ORDER BY c.id LIMIT 1
            """), arguments: [identity.mergeKey, identity.variant, accountID]) {
            return match
        }
        let publicID = try PublicIDs.choose(for: listed.streamID, in: "channel", db: db, logger: logger)
        try db.cachedStatement(sql: "INSERT INTO channel (public_id, merge_key, variant) VALUES (?, ?, ?)")
            .execute(arguments: [publicID, identity.mergeKey, identity.variant])
        return db.lastInsertedRowID
    }

    /// Ends an account's live list: `staleIDs` go stale, every live relation records that it was seen now.
    public func finishChannelList(accountID: Int64, staleIDs: [Int64], now: Int64) async throws {
        try await pool.write { db in
            for start in stride(from: 0, to: staleIDs.count, by: 500) {
                let chunk = staleIDs[start..<min(start + 500, staleIDs.count)]
                try db.execute(
                    sql: "UPDATE channel_relation SET stale = 1, stale_since = ? WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                    arguments: StatementArguments([now] + Array(chunk)))
            }
            try db.execute(sql: "UPDATE channel_relation SET last_seen = ? WHERE account_id = ? AND stale = 0", arguments: [now, accountID])
        }
    }

    /// Records the order in which `accountID` lists its live categories (merged ids, first first): the
    /// order clients get them and their channels in.
    public func setLiveCategoryOrder(accountID: Int64, categoryIDs: [Int64]) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM live_category_order WHERE account_id = ?", arguments: [accountID])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO live_category_order (account_id, category_id, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING
                """)
            for (position, id) in categoryIDs.enumerated() { try insert.execute(arguments: [accountID, id, position]) }
        }
    }
}
