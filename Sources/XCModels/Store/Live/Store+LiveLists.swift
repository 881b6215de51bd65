import GRDB

/// A served channel as `get_live_streams` and the playlist list it: the channel and its preferred relation.
public struct LiveListRow: KeysetRecord, Sendable {
    /// The channel's served position (the list's keyset and order), not shown to clients.
    public var id: Int64
    public var channelID: Int64
    public var publicID: Int64
    public var name: String
    public var streamIcon: String
    public var epgChannelID: String
    /// The provider's `added`, as it sent it; `firstSeen` is the fallback.
    public var added: String
    public var firstSeen: Int64
    public var isAdult: String
    public var categoryID: Int64?
    /// A JSON array.
    public var categoryIDs: String
    /// The category's name, or "".
    public var group: String
    /// 1 when some relation of the channel offers catch-up (and the days it keeps).
    public var tvArchive: Int
    public var tvArchiveDuration: Int

    /// Each field from its column, named by `Column`, which is also what the query selects (in that
    /// order): read by index, since a by-name lookup per field was an eighth of a 30,000-channel render.
    public init(row: Row) throws {
        id = row[Column.position]
        channelID = row[Column.channelID]
        publicID = row[Column.publicID]
        name = row[Column.name]
        streamIcon = row[Column.streamIcon]
        epgChannelID = row[Column.epgChannelID]
        added = row[Column.added]
        firstSeen = row[Column.firstSeen]
        isAdult = row[Column.isAdult]
        categoryID = row[Column.categoryID]
        categoryIDs = row[Column.categoryIDs]
        group = row[Column.group]
        tvArchive = row[Column.tvArchive]
        tvArchiveDuration = row[Column.tvArchiveDuration]
    }

    /// The list's columns, for a channel aliased `c` and its served category `g`: all on the channel row
    /// (`ServedChannel`; archive: the best any live relation of the channel offers,
    /// `recomputeChannelArchive`). The raw value is the column's place in the SELECT list.
    enum Column: Int, CaseIterable {
        case position, channelID, publicID, name, streamIcon, epgChannelID, added, firstSeen, isAdult, categoryID, categoryIDs
        case group, tvArchive, tvArchiveDuration

        var sql: String {
            switch self {
            case .position: "c.position"
            case .channelID: "c.id"
            case .publicID: "c.public_id"
            case .name: "c.name"
            case .streamIcon: "c.stream_icon"
            case .epgChannelID: "c.epg_channel_id"
            case .added: "c.added"
            case .firstSeen: "c.first_seen"
            case .isAdult: "c.is_adult"
            case .categoryID: "c.category_id"
            case .categoryIDs: "c.category_ids"
            case .group: "COALESCE(g.name, '')"
            case .tvArchive: "c.tv_archive"
            case .tvArchiveDuration: "c.tv_archive_duration"
            }
        }
    }

    static let columns = Column.allCases.map(\.sql).joined(separator: ", ")
    /// The same columns in the same places, the category's name left empty (no join).
    static let columnsWithoutGroup = Column.allCases.map { $0 == .group ? "''" : $0.sql }.joined(separator: ", ")
}

extension Row {
    /// GRDB's fast path (`StatementColumnConvertible`, optionals included: read straight from the statement).
    fileprivate subscript<Value: DatabaseValueConvertible & StatementColumnConvertible>(_ column: LiveListRow.Column) -> Value {
        self[column.rawValue]
    }
}

/// One copy of a served channel, with what catch-up needs to know about it.
public struct ChannelCandidateRow: FetchableRecord, Sendable {
    public var candidate: StreamCandidateRow
    public var tvArchive: Bool
    public var tvArchiveDuration: Int
    /// The provider's time zone identifier (`server_info.timezone`), "UTC" until a sync read it.
    public var providerTimeZone: String

    public init(row: Row) throws {
        candidate = try StreamCandidateRow(row: row)
        tvArchive = (row["tv_archive"] as Int) != 0
        tvArchiveDuration = row["tv_archive_duration"]
        providerTimeZone = row["provider_timezone"]
    }
}

extension Store {
    /// Live categories with served channels within `scope`, in the providers' order (see
    /// `recomputePreferredChannels`). `hideAdult` leaves out categories whose channels are all adult.
    public func liveCategories(scope: CatalogScope, hideAdult: Bool = false) async throws -> [CategoryListRow] {
        try await pool.read { db in
            try CategoryListRow.fetchAll(db, sql: """
                SELECT c.id AS id, c.name AS name FROM category c
                WHERE c.kind = 'live' AND c.titles > 0\(scope.categoryFilter("c"))
                  AND (?1 = 0 OR EXISTS (
                    SELECT 1 FROM channel ch JOIN channel_relation r ON r.id = ch.preferred_relation_id, json_each(ch.category_ids) j
                    WHERE j.value = c.id AND r.is_adult NOT IN ('1', 'true')))
                ORDER BY (SELECT MIN(ch.position) FROM channel ch, json_each(ch.category_ids) j
                          WHERE j.value = c.id AND ch.preferred_relation_id IS NOT NULL), c.name
                """, arguments: [hideAdult || scope.hideAdult])
        }
    }

    /// One page of served channels (in `category`, or all) within `scope`, in served order after `after`.
    public func liveListPage<Output: Sendable>(
        scope: CatalogScope, category: Int64?, hideAdult: Bool = false, after: Int64, limit: Int, into output: Output,
        _ add: @escaping @Sendable (inout Output, LiveListRow, Int) -> Void
    ) async throws -> ListPage<Output> {
        try await listPage(LiveListRow.self, sql: Self.liveListSQL(scope: scope, group: true),
                           arguments: Self.liveListArguments(scope: scope, category: category, hideAdult: hideAdult, after: after, limit: limit),
                           after: after, into: output, add)
    }

    /// The list's query: one walk of `channel_served_by_position` in served order. Without `group` the
    /// category's name is not read (`''`, no join): `get_live_streams` does not show it.
    static func liveListSQL(scope: CatalogScope, group: Bool) -> String {
        """
        SELECT \(group ? LiveListRow.columns : LiveListRow.columnsWithoutGroup)
        FROM channel c\(group ? " LEFT JOIN category g ON g.id = c.category_id" : "")
        WHERE c.position > ?1 AND c.preferred_relation_id IS NOT NULL
          AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(c.category_ids) WHERE value = ?2))
          AND (?4 = 0 OR c.is_adult NOT IN ('1', 'true'))\(scope.titleFilter("c"))
        ORDER BY c.position LIMIT ?3
        """
    }

    static func liveListArguments(
        scope: CatalogScope, category: Int64?, hideAdult: Bool, after: Int64, limit: Int
    ) -> StatementArguments {
        [after, category, limit, hideAdult || scope.hideAdult]
    }

    /// Every live copy of the served channel clients know as `publicID`, within `scope`, in admission
    /// order (then relation id); empty when there is no such channel. What live streaming and catch-up
    /// choose a provider stream from.
    public func channelCandidates(publicID: Int64, scope: CatalogScope) async throws -> [ChannelCandidateRow] {
        try await pool.read { db in
            try ChannelCandidateRow.fetchAll(db, sql: """
                SELECT c.id AS content_id, r.id AS relation_id, r.stream_id AS stream_id, 'ts' AS container_extension,
                       \(StreamCandidateRow.accountColumns), 0 AS variant_rank,
                       c.public_id AS entry_public_id, c.variant AS variant_key,
                       r.tv_archive AS tv_archive, r.tv_archive_duration AS tv_archive_duration,
                       COALESCE(tz.timezone, 'UTC') AS provider_timezone
                FROM channel c JOIN channel_relation r ON r.channel_id = c.id JOIN account a ON a.id = r.account_id
                LEFT JOIN account_timezone tz ON tz.account_id = a.id
                WHERE c.public_id = ? AND c.preferred_relation_id IS NOT NULL AND r.stale = 0\(scope.titleFilter("c"))
                  AND (?2 = 0 OR NOT EXISTS (SELECT 1 FROM channel_relation p
                                             WHERE p.id = c.preferred_relation_id AND p.is_adult IN ('1', 'true')))
                ORDER BY \(AdmissionOrder.sql()), r.id
                """, arguments: [publicID, scope.hideAdult])
        }
    }
}

extension Store {
    /// Records the provider's time zone of `accountID` (`server_info.timezone` of its login answer).
    public func setProviderTimeZone(accountID: Int64, _ identifier: String) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO account_timezone (account_id, timezone) VALUES (?, ?)
                ON CONFLICT (account_id) DO UPDATE SET timezone = excluded.timezone
                """, arguments: [accountID, identifier])
        }
    }
}
