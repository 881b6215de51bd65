import Foundation
import Logging
import ServiceLifecycle

/// `serve --sync-interval`: runs a sync job of every enabled account once per interval, counted from
/// the end of the last full sync (kept in the database, so restarts do not postpone it forever and a
/// fresh database syncs at once). A job the admin cancelled still waits a whole interval before the
/// next one. On shutdown it cancels every running job (scheduled or not) and waits for them to stop.
struct SyncScheduler: Service {
    let jobs: SyncJobs
    /// nil or zero: no schedule, only the shutdown duty.
    let interval: Duration?
    let logger: Logger

    func run() async throws {
        if let interval, interval > .zero {
            logger.info("[sync] scheduled every \(DurationText.format(seconds: interval.components.seconds))")
            try? await cancelWhenGracefulShutdown { [self] in try await schedule(every: interval) }
        } else {
            try? await gracefulShutdown()
        }
        await jobs.cancelAll()
    }

    private func schedule(every interval: Duration) async throws {
        var lastAttempt: Date?
        while true {
            let recorded = await jobs.lastFullSync()
            let last = [recorded, lastAttempt].compactMap { $0 }.max()
            if let last {
                let wait = last.addingTimeInterval(interval.inSeconds).timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
            }
            do {
                let job = try await jobs.start(trigger: .schedule)
                await withTaskCancellationHandler {
                    _ = await jobs.wait(job.id)
                } onCancel: {
                    _ = jobs.cancel(job.id)
                }
                try Task.checkCancellation()
                lastAttempt = Date()
            } catch let cancellation as CancellationError {
                throw cancellation
            } catch {
                logger.notice("[sync] scheduled sync postponed: \(error)")
                try await Task.sleep(for: min(interval, .seconds(60)))
            }
        }
    }
}
