import XCModels

/// One provider copy of a title, with what it takes to open it upstream.
struct StreamTarget: Sendable {
    var candidate: SlotCandidate
    var baseURL: String
    var username: String
    var password: String
    var userAgent: String?
    var streamID: Int
    var containerExtension: String
    var kind: ContentKind
    /// The entry (variant) this copy serves: its public id as the `all` view shows it, and its key.
    var entryPublicID: Int64 = 0
    var variantKey: String = "|"
    var socketLimit: SocketLimit = .default
    /// The upstream path when it is not the film/episode one (a catch-up recording's `/timeshift/…`).
    var upstreamPath: String? = nil
    /// Skip what precedes the first TS packet (catch-up answers; see `TSSyncSkipper`).
    var skipsLeadingGarbage = false

    /// `{base}/movie/{user}/{pass}/{stream_id}.{ext}`, credentials percent-encoded as path segments.
    var url: String {
        baseURL + (upstreamPath ?? StreamPath(kind: kind, username: username, password: password, id: Int64(streamID), ext: containerExtension).path)
    }
}

/// The title behind a public id and every live copy of it, in admission order.
struct StreamTitle: Sendable {
    var contentID: Int64
    var targets: [StreamTarget]

    func target(for candidate: SlotCandidate) -> StreamTarget? {
        targets.first { $0.candidate.relationID == candidate.relationID }
    }

    /// Looks up a served title by the id clients were given. Only live relations are candidates; a
    /// disabled account is passed along as such so the slot core can say why nothing has room.
    static func lookup(kind: ContentKind, publicID: Int64, store: Store, scope: CatalogScope) async throws -> StreamTitle? {
        let playable: PlayableKind
        switch kind {
        case .movie: playable = .movie
        case .episode: playable = .episode
        case .live, .hls, .catchUp: return nil
        }
        let rows = try await store.streamCandidates(kind: playable, publicID: publicID, scope: scope)
        guard let first = rows.first else { return nil }
        return StreamTitle(contentID: first.contentID, targets: rows.map { StreamTarget($0, kind: kind) })
    }
}

extension StreamTarget {
    /// The store's copy `row` opened as `kind`; `containerExtension` and `upstreamPath` when they are not
    /// the film/episode ones (a channel's `.ts` or `.m3u8`, a recording's `/timeshift/…`).
    init(_ row: StreamCandidateRow, kind: ContentKind, containerExtension: String? = nil, upstreamPath: String? = nil) {
        self.init(
            candidate: SlotCandidate(row), baseURL: row.baseURL, username: row.username, password: row.password,
            userAgent: row.userAgent, streamID: row.streamID, containerExtension: containerExtension ?? row.containerExtension,
            kind: kind, entryPublicID: row.entryPublicID, variantKey: row.variantKey, socketLimit: row.socketLimit,
            upstreamPath: upstreamPath, skipsLeadingGarbage: kind == .catchUp)
    }
}

extension SlotCandidate {
    /// The store's copy of a title (a film, an episode, a channel) as the slot core admits it: with the
    /// account's capacity group and the group's limit (docs/slots.md, "Capacity groups").
    init(_ row: StreamCandidateRow) {
        self.init(accountID: row.accountID, accountName: row.accountName, relationID: row.relationID,
                  priority: row.priority, maxConnections: row.maxConnections, enabled: row.enabled,
                  capacityGroup: row.capacityGroup, variantRank: row.variantRank)
    }
}
