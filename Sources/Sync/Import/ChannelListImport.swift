import Foundation
import Logging
import XCModels

/// Imports one account's `get_live_streams`, batch by batch as it downloads, with the same rules as
/// the title lists (`TitleListImport`): unchanged items are left alone, staleness is decided once the
/// whole list arrived and guarded against a truncated or empty answer, a disabled category's channels
/// are neither imported nor staled.
struct ChannelListImport {
    let accountID: Int64
    let now: Int64
    let categories: [String: Int64]
    let logger: Logger
    private var tally: ListTally
    /// Items read so far: the position of an item that has no `num`.
    private var position = 0
    var counts: SyncCounts { tally.counts }

    init(store: Store, accountID: Int64, categories: CategoryImport.Result, now: Int64, logger: Logger) async throws {
        self.accountID = accountID
        self.now = now
        self.categories = categories.map
        self.logger = logger
        tally = ListTally(known: try await store.knownChannelRelations(accountID: accountID), disabledCategories: categories.disabled)
    }

    /// One provider item as a channel relation, or why it is skipped.
    static func parse(_ item: ProviderObject, position: Int, categories: [String: Int64]) throws(SkipReason) -> (ListedChannel, [String]) {
        let streamID = try item.providerID("stream_id")
        let providerCategories = item.categoryIDs
        let (firstCategory, allCategories) = ListTally.categories(providerCategories, merged: categories)
        let isAdult = item.string("is_adult")
        let archive = item.int("tv_archive") ?? 0
        let channel = ListedChannel(
            streamID: streamID, num: item.int("num") ?? position, name: item.string("name", "title"),
            streamIcon: item.string("stream_icon"), epgChannelID: item.string("epg_channel_id").trimmingCharacters(in: .whitespaces),
            added: item.string("added"), isAdult: isAdult.isEmpty || isAdult == "false" ? "0" : isAdult == "true" ? "1" : isAdult,
            tvArchive: archive != 0 ? 1 : 0, tvArchiveDuration: max(0, item.int("tv_archive_duration") ?? 0),
            categoryID: firstCategory, categoryIDs: allCategories, extra: "", hash: 0)
        return (channel, providerCategories)
    }

    mutating func importBatch(_ raws: [[UInt8]], store: Store) async throws {
        var updates: [(relationID: Int64, channel: ListedChannel)] = []
        var inserts: [ListedChannel] = []
        for raw in raws {
            position += 1
            let position = position, categories = categories
            guard let parsed = tally.read(raw, { object throws(SkipReason) in
                try Self.parse(object, position: position, categories: categories)
            }) else { continue }
            var channel = parsed.0
            let providerCategories = parsed.1
            channel.hash = ContentHash.of(raw)
            switch tally.sort(id: channel.streamID, idKey: "stream_id", primaryCategory: providerCategories.first, hash: channel.hash) {
            case .skipped, .unchanged: continue
            case .update(let relationID):
                channel.extra = String(decoding: raw, as: UTF8.self)
                updates.append((relationID, channel))
            case .new:
                channel.extra = String(decoding: raw, as: UTF8.self)
                inserts.append(channel)
            }
        }
        guard !updates.isEmpty || !inserts.isEmpty else { return }
        let inserted = try await store.importChannels(accountID: accountID, updates: updates, inserts: inserts, now: now, logger: logger)
        for channel in inserts {
            tally.wrote(id: channel.streamID, relationID: inserted[channel.streamID]!, hash: channel.hash)
        }
    }

    /// Marks what the provider no longer lists as stale, unless that would be more than
    /// `maxStaleFraction` of the live relations and `force` is off.
    mutating func finish(store: Store, force: Bool, maxStaleFraction: Double) async throws {
        let vanished = try tally.vanished(kind: "live", force: force, maxStaleFraction: maxStaleFraction)
        try await store.finishChannelList(accountID: accountID, staleIDs: vanished, now: now)
    }
}
