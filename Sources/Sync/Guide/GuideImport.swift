import Logging
import XCModels

/// Imports one account's guide (`xmltv.php`) as it downloads: programmes of the channels the account
/// lists, within [now − the channel's archive days, now + 7 days], into a new generation of the
/// account's guide that replaces the old one only once the whole document arrived (a failed fetch
/// keeps the guide there was).
enum GuideImport {
    static let futureWindow: Int64 = 7 * 86400
    static let batchSize = 5000

    static func run(
        _ client: ProviderClient, store: Store, now: Int64, logger: Logger,
        progress: @escaping (_ stored: Int, _ read: Int, _ counts: SyncCounts) -> Void
    ) async throws -> SyncCounts {
        let accountID = client.account.id!
        var counts = SyncCounts()
        let channels = try await store.guideChannels(accountID: accountID)
        guard !channels.isEmpty else {
            counts.skip("no channel names a guide id")
            return counts
        }
        let generation = try await store.beginGuide(accountID: accountID)
        var reader = XMLTVReader()
        var batch: [Programme] = []
        var stored = 0
        var read = 0
        let window = Window(now: now, channels: channels)
        try await client.streamGuide { chunk in
            var outside = 0
            var unlisted = 0
            reader.feed(chunk) { item in
                read += 1
                switch window.keep(item) {
                case .keep: batch.append(item)
                case .outside: outside += 1
                case .unlisted: unlisted += 1
                }
            }
            if outside > 0 { counts.skip("outside the guide window", outside) }
            if unlisted > 0 { counts.skip("channel not listed", unlisted) }
            if batch.count >= batchSize {
                try await store.insertProgrammes(batch, accountID: accountID, generation: generation)
                stored += batch.count
                batch.removeAll(keepingCapacity: true)
                progress(stored, read, counts)
            }
        }
        reader.finish()
        if !batch.isEmpty {
            try await store.insertProgrammes(batch, accountID: accountID, generation: generation)
            stored += batch.count
        }
        if reader.unreadable > 0 { counts.skip("programme without channel or time", reader.unreadable) }
        counts.added = stored
        try await store.finishGuide(accountID: accountID, generation: generation, programmes: stored, now: now)
        logger.info("[sync] \(client.account.name): guide holds \(stored) programmes of \(read) read")
        progress(stored, read, counts)
        return counts
    }

    /// Which programmes are kept: a pure rule, tested on its own.
    struct Window {
        enum Verdict: Equatable { case keep, outside, unlisted }
        let now: Int64
        /// Guide channel id → archive days.
        let channels: [String: Int]

        func keep(_ item: XMLTVReader.Item) -> Verdict {
            guard let days = channels[item.channel] else { return .unlisted }
            let from = now - Int64(days) * 86400
            guard item.stop > from, item.start < now + GuideImport.futureWindow else { return .outside }
            return .keep
        }
    }
}

extension SyncCounts {
    /// Counts `count` items skipped for `reason`.
    mutating func skip(_ reason: String, _ count: Int) {
        guard count > 0 else { return }
        skipped += count
        skipReasons[reason, default: 0] += count
    }
}
