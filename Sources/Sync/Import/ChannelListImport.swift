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
    let disabledCategories: Set<String>
    let logger: Logger
    private var known: [Int: KnownRelation] = [:]
    private var seen = Set<Int>()
    /// Items read so far: the position of an item that has no `num`.
    private var position = 0
    private(set) var counts = SyncCounts()

    init(store: Store, accountID: Int64, categories: CategoryImport.Result, now: Int64, logger: Logger) async throws {
        self.accountID = accountID
        self.now = now
        self.categories = categories.map
        self.disabledCategories = categories.disabled
        self.logger = logger
        known = try await store.knownChannelRelations(accountID: accountID)
    }

    /// One provider item as a channel relation, or why it is skipped.
    static func parse(_ item: ProviderObject, position: Int, categories: [String: Int64]) throws(SkipReason) -> (ListedChannel, [String]) {
        let streamID = try item.providerID("stream_id")
        let providerCategories = item.categoryIDs
        let mapped = providerCategories.compactMap { categories[$0] }
        let isAdult = item.string("is_adult")
        let archive = item.int("tv_archive") ?? 0
        let channel = ListedChannel(
            streamID: streamID, num: item.int("num") ?? position, name: item.string("name", "title"),
            streamIcon: item.string("stream_icon"), epgChannelID: item.string("epg_channel_id").trimmingCharacters(in: .whitespaces),
            added: item.string("added"), isAdult: isAdult.isEmpty || isAdult == "false" ? "0" : isAdult == "true" ? "1" : isAdult,
            tvArchive: archive != 0 ? 1 : 0, tvArchiveDuration: max(0, item.int("tv_archive_duration") ?? 0),
            categoryID: mapped.first, categoryIDs: "[" + mapped.map(String.init).joined(separator: ",") + "]", extra: "", hash: 0)
        return (channel, providerCategories)
    }

    mutating func importBatch(_ raws: [[UInt8]], store: Store) async throws {
        var updates: [(relationID: Int64, channel: ListedChannel)] = []
        var inserts: [ListedChannel] = []
        for raw in raws {
            position += 1
            var channel: ListedChannel
            let providerCategories: [String]
            do {
                (channel, providerCategories) = try Self.parse(ProviderObject(json: raw), position: position, categories: categories)
            } catch let skip as SkipReason {
                counts.skip(skip.reason)
                continue
            } catch {
                counts.skip("not a JSON object")
                continue
            }
            guard seen.insert(channel.streamID).inserted else {
                counts.skip("stream_id listed twice")
                continue
            }
            if let primary = providerCategories.first, disabledCategories.contains(primary) {
                counts.skip("category disabled")
                continue
            }
            channel.extra = String(decoding: raw, as: UTF8.self)
            channel.hash = ContentHash.of(raw)
            if let old = known[channel.streamID] {
                if old.hash == channel.hash && !old.stale {
                    counts.unchanged += 1
                    continue
                }
                updates.append((old.id, channel))
                known[channel.streamID] = KnownRelation(id: old.id, hash: channel.hash, stale: false)
                counts.updated += 1
            } else {
                inserts.append(channel)
                counts.added += 1
            }
        }
        guard !updates.isEmpty || !inserts.isEmpty else { return }
        let inserted = try await store.importChannels(accountID: accountID, updates: updates, inserts: inserts, now: now, logger: logger)
        for channel in inserts {
            known[channel.streamID] = KnownRelation(id: inserted[channel.streamID]!, hash: channel.hash, stale: false)
        }
    }

    /// Marks what the provider no longer lists as stale, unless that would be more than
    /// `maxStaleFraction` of the live relations and `force` is off.
    mutating func finish(store: Store, force: Bool, maxStaleFraction: Double) async throws {
        let vanished = try StaleGuard.vanished(known: known, seen: seen, kind: "live", force: force, maxStaleFraction: maxStaleFraction)
        try await store.finishChannelList(accountID: accountID, staleIDs: vanished, now: now)
        counts.stale = vanished.count
    }
}
