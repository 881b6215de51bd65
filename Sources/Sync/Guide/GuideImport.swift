import Foundation
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
        let started = ContinuousClock.now
        let accountID = client.account.id!
        let channels = try await store.guideChannels(accountID: accountID)
        guard !channels.isEmpty else {
            var counts = SyncCounts()
            counts.skip("no channel names a guide id")
            return counts
        }
        let generation = try await store.beginGuide(accountID: accountID)
        var intake = Intake(window: Window(now: now, channels: channels))
        // One batch is written while the next is read: the parse and SQLite each get a core.
        var writing: (task: Task<Void, Error>, count: Int)?
        var stored = 0
        func settle() async throws {
            guard let (task, count) = writing else { return }
            writing = nil
            try await task.value
            stored += count
        }
        func write(_ batch: [Programme]) async throws {
            try await settle()
            writing = (Task { try await store.insertProgrammes(batch, accountID: accountID, generation: generation) }, batch.count)
        }
        do {
            try await client.streamGuide { chunk in
                intake.take(chunk)
                guard intake.batch.count >= batchSize else { return }
                try await write(intake.takeBatch())
                progress(stored, intake.read, intake.counts)
            }
            intake.finish()
            if !intake.batch.isEmpty { try await write(intake.takeBatch()) }
            try await settle()
        } catch {
            writing?.task.cancel()
            _ = try? await writing?.task.value
            throw error
        }
        var counts = intake.counts
        counts.added = stored
        try await store.finishGuide(accountID: accountID, generation: generation, programmes: stored, now: now)
        let seconds = String(format: "%.2f", started.duration(to: .now).inSeconds)
        logger.info("[sync] \(client.account.name): guide holds \(stored) programmes of \(intake.read) read in \(seconds) s")
        progress(stored, intake.read, counts)
        return counts
    }

    /// The reading side of an import: chunks in, the programmes to keep out in batches, with the counts.
    struct Intake {
        let window: Window
        private var reader = XMLTVReader()
        private(set) var batch: [Programme] = []
        private(set) var read = 0
        private(set) var counts = SyncCounts()

        init(window: Window) {
            self.window = window
            batch.reserveCapacity(GuideImport.batchSize)
        }

        mutating func take(_ chunk: [UInt8]) {
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
            counts.skip("outside the guide window", outside)
            counts.skip("channel not listed", unlisted)
        }

        /// The programmes kept since the last call.
        mutating func takeBatch() -> [Programme] {
            let taken = batch
            batch = []
            batch.reserveCapacity(GuideImport.batchSize)
            return taken
        }

        mutating func finish() {
            reader.finish()
            counts.skip("programme without channel or time", reader.unreadable)
        }
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
