import GRDB

/// One programme of a provider's guide, times in UTC seconds.
public struct Programme: Sendable, Equatable, Encodable {
    /// The guide's channel id, as ``ChannelIdentity/epgKey(_:)`` normalizes it.
    public var channel: String
    public var start: Int64
    public var stop: Int64
    public var title: String
    public var description: String
    public var lang: String

    /// As the admin API's channel detail lists it (`GET /api/live/channels/{id}`): the guide channel and
    /// language are the detail's own.
    enum CodingKeys: CodingKey { case start, stop, title, description }

    public init(channel: String, start: Int64, stop: Int64, title: String, description: String, lang: String) {
        self.channel = channel
        self.start = start
        self.stop = stop
        self.title = title
        self.description = description
        self.lang = lang
    }
}

/// Where a channel's programmes come from: an account's guide and the channel id in it.
public struct GuideSource: Sendable, Equatable {
    public var accountID: Int64
    public var generation: Int64
    public var channel: String

    public init(accountID: Int64, generation: Int64, channel: String) {
        self.accountID = accountID
        self.generation = generation
        self.channel = channel
    }
}

/// A served channel as the guide (`xmltv.php`) lists it, with where its programmes come from.
public struct GuideChannelRow: KeysetRecord, Sendable {
    /// The channel's served position (the keyset).
    public var id: Int64
    /// As `get_live_streams` lists it.
    public var epgChannelID: String
    public var name: String
    public var icon: String
    public var source: GuideSource?

    public init(row: Row) throws {
        id = row["position"]
        epgChannelID = row["epg_channel_id"]
        name = row["name"]
        icon = row["stream_icon"]
        source = nil
    }
}

extension Store {
    /// The guide channel ids `accountID`'s live channels name, with the longest archive (days) any of
    /// them keeps: what an import of that account's guide stores, and for how far back.
    public func guideChannels(accountID: Int64) async throws -> [String: Int] {
        try await pool.read { db in
            var channels: [String: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT epg_key, MAX(CASE WHEN tv_archive != 0 THEN tv_archive_duration ELSE 0 END) AS days FROM channel_relation
                WHERE account_id = ? AND stale = 0 AND epg_key != '' GROUP BY epg_key
                """, arguments: [accountID])
            while let row = try rows.next() { channels[row["epg_key"]] = row["days"] }
            return channels
        }
    }

    /// Starts a new generation of `accountID`'s guide (leftovers of an interrupted import are dropped).
    public func beginGuide(accountID: Int64) async throws -> Int64 {
        try await pool.write { db in
            let current = try Int64.fetchOne(db, sql: "SELECT generation FROM guide_source WHERE account_id = ?", arguments: [accountID]) ?? 0
            try db.execute(sql: "DELETE FROM programme WHERE account_id = ? AND generation > ?", arguments: [accountID, current])
            return current + 1
        }
    }

    /// Writes one batch of programmes of a guide generation (a programme listed twice keeps the last),
    /// through one prepared statement whose arguments are set without the per-row count check.
    public func insertProgrammes(_ programmes: [Programme], accountID: Int64, generation: Int64) async throws {
        try await pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO programme (account_id, generation, channel, start, stop, title, description, lang)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for p in programmes {
                insert.setUncheckedArguments([accountID, generation, p.channel, p.start, p.stop, p.title, p.description, p.lang])
                try insert.execute()
            }
        }
    }

    /// Serves `generation` as `accountID`'s guide from now on and deletes the older ones.
    public func finishGuide(accountID: Int64, generation: Int64, programmes: Int, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO guide_source (account_id, generation, programmes, fetched_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET generation = excluded.generation, programmes = excluded.programmes,
                  fetched_at = excluded.fetched_at
                """, arguments: [accountID, generation, programmes, now])
            try db.execute(sql: "DELETE FROM programme WHERE account_id = ? AND generation < ?", arguments: [accountID, generation])
        }
    }

    /// When `accountID`'s guide was last imported (nil: never).
    public func guideFetchedAt(accountID: Int64) async throws -> Int64? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT fetched_at FROM guide_source WHERE account_id = ?", arguments: [accountID])
        }
    }

    /// The source of a channel's programmes: its preferred relation's guide, else the next relation
    /// (admission order) whose account's guide has any for its channel id.
    static let guideSourceColumns = """
        COALESCE(
          (SELECT x.account_id || char(31) || gs.generation || char(31) || x.epg_key
           FROM channel_relation x JOIN guide_source gs ON gs.account_id = x.account_id
           WHERE x.id = c.preferred_relation_id AND x.epg_key != ''
             AND EXISTS (SELECT 1 FROM programme p WHERE p.account_id = x.account_id AND p.generation = gs.generation AND p.channel = x.epg_key)),
          (SELECT x.account_id || char(31) || gs.generation || char(31) || x.epg_key
           FROM channel_relation x JOIN account xa ON xa.id = x.account_id JOIN guide_source gs ON gs.account_id = x.account_id
           WHERE x.channel_id = c.id AND x.stale = 0 AND xa.enabled = 1 AND x.epg_key != ''
             AND EXISTS (SELECT 1 FROM programme p WHERE p.account_id = x.account_id AND p.generation = gs.generation AND p.channel = x.epg_key)
           ORDER BY \(AdmissionOrder.sql(account: "xa")), x.id LIMIT 1)) AS source
        """

    /// One page of served channels that name a guide channel, within `scope`, in served order.
    public func guideChannelPage<Output: Sendable>(
        scope: CatalogScope, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, GuideChannelRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await listPage(SourcedGuideRow.self, sql: """
            SELECT c.position AS position, r.epg_channel_id AS epg_channel_id, r.name AS name, r.stream_icon AS stream_icon,
                   \(Self.guideSourceColumns)
            FROM channel c JOIN channel_relation r ON r.id = c.preferred_relation_id
            WHERE c.position > ? AND r.epg_channel_id != ''\(scope.titleFilter("c"))
            ORDER BY c.position LIMIT ?
            """, arguments: [after, limit], after: after, into: output) { output, row, n in add(&output, row.row, n) }
    }

    /// The served channel clients know as `publicID` (within `scope`): its listed guide id and the source
    /// of its programmes; nil when there is no such channel.
    public func guideChannel(publicID: Int64, scope: CatalogScope) async throws -> GuideChannelRow? {
        try await pool.read { db in try Self.guideChannel(db, publicID: publicID, scope: scope) }
    }

    /// Programmes of `source` ending after `from` and starting before `to`, in time order, at most `limit`.
    public func programmes(_ source: GuideSource, from: Int64, to: Int64 = .max, limit: Int = .max) async throws -> [Programme] {
        try await pool.read { db in try Self.programmes(db, source, from: from, to: to, limit: limit) }
    }

    /// ``guideChannel(publicID:scope:)`` and, when it has a source, its ``programmes(_:from:to:limit:)``,
    /// in one read: `get_short_epg` is asked for each channel a list scrolls past, so one trip to a
    /// reader connection instead of two is what its latency is made of.
    public func guideListing(publicID: Int64, scope: CatalogScope, from: Int64, limit: Int = .max)
        async throws -> (channel: GuideChannelRow, programmes: [Programme])? {
        try await pool.read { db in
            guard let channel = try Self.guideChannel(db, publicID: publicID, scope: scope) else { return nil }
            guard let source = channel.source else { return (channel, []) }
            return (channel, try Self.programmes(db, source, from: from, to: .max, limit: limit))
        }
    }

    private static func guideChannel(_ db: Database, publicID: Int64, scope: CatalogScope) throws -> GuideChannelRow? {
        try SourcedGuideRow.fetchOne(db.cachedStatement(sql: """
            SELECT c.position AS position, r.epg_channel_id AS epg_channel_id, r.name AS name, r.stream_icon AS stream_icon,
                   \(guideSourceColumns)
            FROM channel c JOIN channel_relation r ON r.id = c.preferred_relation_id
            WHERE c.public_id = ?\(scope.titleFilter("c"))
            """), arguments: [publicID])?.row
    }

    private static func programmes(_ db: Database, _ source: GuideSource, from: Int64, to: Int64, limit: Int) throws -> [Programme] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT channel, start, stop, title, description, lang FROM programme
            WHERE account_id = ? AND generation = ? AND channel = ? AND stop > ? AND start < ? ORDER BY start LIMIT ?
            """), arguments: [source.accountID, source.generation, source.channel, from, to, limit]).map {
            Programme(channel: $0["channel"], start: $0["start"], stop: $0["stop"], title: $0["title"],
                      description: $0["description"], lang: $0["lang"])
        }
    }
}

/// Reads the packed `source` column of `guideSourceColumns` into a ``GuideChannelRow``.
private struct SourcedGuideRow: KeysetRecord {
    var row: GuideChannelRow
    var id: Int64 { row.id }

    init(row raw: Row) throws {
        var row = try GuideChannelRow(row: raw)
        if let packed: String = raw["source"] {
            let parts = packed.split(separator: "\u{1F}", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3, let account = Int64(parts[0]), let generation = Int64(parts[1]) {
                row.source = GuideSource(accountID: account, generation: generation, channel: String(parts[2]))
            }
        }
        self.row = row
    }
}
