import Foundation
import Logging
import Sync
import Synchronization
import XCModels

/// Runs `SyncEngine` syncs as jobs with live progress: the admin API (`POST /api/sync`), the schedule
/// (`serve --sync-interval`) and `xcserver sync` all go through here.
///
/// One sync per account at a time: a job whose accounts overlap a running job's is refused. A
/// cancelled job stops between batches; what it committed stays (see `SyncEngine.run`).
public final class SyncJobs: Sendable {
    public enum StartError: Error, CustomStringConvertible {
        case unknownAccount(String)
        case accountDisabled(String)
        case busy(account: String, job: Int)

        public var description: String {
            switch self {
            case .unknownAccount(let name): return "no account named '\(name)'"
            case .accountDisabled(let name): return "account '\(name)' is disabled; enable it to sync it"
            case .busy(let account, let job): return "account '\(account)' is already syncing in job \(job)"
            }
        }
    }

    private struct State {
        var nextID = 1
        var jobs: [Int: SyncJob] = [:]
        var tasks: [Int: Task<Void, Never>] = [:]
        /// Account id → the running job that holds it.
        var busy: [Int64: Int] = [:]
    }

    /// `setting` key: when the last sync of every account ended (Unix seconds); the schedule counts from it.
    static let lastFullSyncKey = "sync_last_full_at"
    /// Ended jobs kept for `GET /api/sync/jobs`; older ones are forgotten.
    static let keptJobs = 50

    let engine: SyncEngine
    let metrics: ServerMetrics?
    let logger: Logger
    private let state = Mutex(State())
    /// Notified whenever a job is queued, moves on or ends, for the web page's event stream.
    public let changes = ChangeSignal()

    public init(engine: SyncEngine, metrics: ServerMetrics?, logger: Logger) {
        self.engine = engine
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts a job for one account (by name) or every enabled account, and returns it at once (queued).
    /// `observer` sees every progress event of the job as it happens (after the job's state took it in).
    public func start(
        account name: String? = nil, options: SyncOptions = SyncOptions(), trigger: SyncJob.Trigger,
        observer: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws -> SyncJob {
        var accounts = try await engine.store.accounts()
        if let name {
            guard let account = accounts.first(where: { $0.name == name }) else { throw StartError.unknownAccount(name) }
            guard account.enabled else { throw StartError.accountDisabled(name) }
            accounts = [account]
        } else {
            accounts = accounts.filter(\.enabled)
        }
        let chosen = accounts
        let job = try state.withLock { state throws(StartError) -> SyncJob in
            if let taken = chosen.first(where: { state.busy[$0.id!] != nil }) {
                throw .busy(account: taken.name, job: state.busy[taken.id!]!)
            }
            let id = state.nextID
            state.nextID += 1
            let job = SyncJob(id: id, trigger: trigger, force: options.force, prune: options.prune,
                              accounts: chosen.map { SyncJob.AccountState(id: $0.id!, name: $0.name) })
            state.jobs[id] = job
            for account in chosen { state.busy[account.id!] = id }
            // Created under the lock, so the task's own clean-up always finds its entry.
            state.tasks[id] = Task { await self.execute(id, accounts: chosen, options: options, full: name == nil, observer: observer) }
            Self.forgetOld(&state)
            return job
        }
        changes.notify()
        logger.info("[sync] job \(job.id) (\(trigger.rawValue)) queued: \(chosen.isEmpty ? "no enabled accounts" : chosen.map(\.name).joined(separator: ", "))")
        return job
    }

    public func job(_ id: Int) -> SyncJob? {
        state.withLock { $0.jobs[id] }
    }

    /// Newest first.
    func jobs() -> [SyncJob] {
        state.withLock { $0.jobs.values.sorted { $0.id > $1.id } }
    }

    var isRunning: Bool {
        state.withLock { !$0.tasks.isEmpty }
    }

    /// The running job syncing this account, if any (deleting or editing an account under a sync may
    /// want to wait for it, or refuse with 409).
    func runningJob(account id: Int64) -> Int? {
        state.withLock { $0.busy[id] }
    }

    /// Asks a running job to stop; `nil` for an unknown id. A job that already ended is returned as it is.
    public func cancel(_ id: Int) -> SyncJob? {
        state.withLock { state in
            guard var job = state.jobs[id] else { return nil }
            if !job.phase.isFinal, let task = state.tasks[id] {
                task.cancel()
                job.cancelRequested = true
                state.jobs[id] = job
            }
            return job
        }
    }

    /// Waits for a job to end and returns it in its final state.
    public func wait(_ id: Int) async -> SyncJob? {
        if let task = state.withLock({ $0.tasks[id] }) { await task.value }
        return job(id)
    }

    /// Cancels every running job and waits for them (on shutdown).
    func cancelAll() async {
        let tasks = state.withLock { state in
            for id in state.tasks.keys { state.jobs[id]?.cancelRequested = true }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// When the last sync of every account ended, from the database (so it survives restarts).
    func lastFullSync() async -> Date? {
        guard let text = try? await engine.store.setting(Self.lastFullSyncKey), let seconds = Double(text) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    // MARK: Running

    private func execute(_ id: Int, accounts: [Account], options: SyncOptions, full: Bool, observer: (@Sendable (SyncProgress) -> Void)?) async {
        let clock = ContinuousClock.now
        update(id) { job in
            job.startedAt = Date()
            if let first = accounts.first {
                job.phase = .categories
                job.currentAccount = first.name
                job.withAccount(first.name) { $0.phase = .categories }
            } else {
                job.phase = .finishing
            }
        }
        var report: SyncReport?
        var failure: String?
        do {
            report = try await engine.run(accounts: accounts, options: options) { [weak self] event in
                self?.apply(event, to: id)
                observer?(event)
            }
        } catch {
            failure = String(describing: error)
        }
        let cancelled = report?.cancelled ?? Task.isCancelled
        if full && !cancelled {
            try? await engine.store.setSetting(Self.lastFullSyncKey, String(Date().timeIntervalSince1970))
        }
        let duration = clock.duration(to: .now)
        let ended = state.withLock { state -> SyncJob? in
            guard var job = state.jobs[id] else { return nil }
            job.report = report
            job.pruned = report?.pruned ?? 0
            if let failure, !cancelled { job.errors.append(SyncJob.JobError(account: nil, message: failure)) }
            job.phase = cancelled ? .cancelled : (job.errors.isEmpty && report?.failed != true ? .done : .failed)
            // Accounts the job never got to (or left before their report): they end with the job, never
            // `queued` or mid-step forever.
            for index in job.accounts.indices where !job.accounts[index].phase.isFinal {
                job.accounts[index].phase = cancelled ? .cancelled : .failed
            }
            job.currentAccount = nil
            job.endedAt = Date()
            state.jobs[id] = job
            state.tasks[id] = nil
            state.busy = state.busy.filter { $0.value != id }
            return job
        }
        changes.notify()
        guard let ended else { return }
        metrics?.recordSyncJob(outcome: ended.phase.rawValue, duration: duration)
        let counters = ended.counters
        logger.info("[sync] job \(id) \(ended.phase.rawValue) in \(String(format: "%.2f", duration.inSeconds)) s: added \(counters.added), updated \(counters.updated), unchanged \(counters.unchanged), stale \(counters.stale), skipped \(counters.skipped)\(ended.pruned > 0 ? ", pruned \(ended.pruned)" : "")")
    }

    private func apply(_ event: SyncProgress, to id: Int) {
        update(id) { job in
            switch event {
            case .phase(let name, let phase):
                let mapped = SyncJob.Phase(rawValue: phase.rawValue) ?? .queued
                job.phase = mapped
                job.currentAccount = name
                job.withAccount(name) { $0.phase = mapped }
            case .kind(let name, let kind, let done, let total, let counts):
                job.withAccount(name) { $0.progress[kind] = SyncJob.KindProgress(done: done, total: total, counts: counts) }
            case .accountFinished(let report):
                job.waiting = nil
                job.withAccount(report.account) { account in
                    account.phase = report.cancelled ? .cancelled : (report.error == nil ? .done : .failed)
                    account.error = report.error
                    account.seconds = report.seconds
                }
                if let error = report.error { job.errors.append(SyncJob.JobError(account: report.account, message: error)) }
            case .finishing:
                job.phase = .finishing
                job.currentAccount = nil
                job.waiting = nil
            case .waiting(let name, let action):
                job.waiting = SyncJob.Waiting(account: name, action: action, since: Date())
            case .answered:
                job.waiting = nil
            }
        }
    }

    private func update(_ id: Int, _ change: (inout SyncJob) -> Void) {
        state.withLock { state in
            guard var job = state.jobs[id] else { return }
            change(&job)
            state.jobs[id] = job
        }
        changes.notify()
    }

    private static func forgetOld(_ state: inout State) {
        let ended = state.jobs.values.filter(\.phase.isFinal).map(\.id).sorted()
        for id in ended.dropLast(keptJobs) { state.jobs[id] = nil }
    }
}

extension SyncJob {
    fileprivate mutating func withAccount(_ name: String, _ change: (inout AccountState) -> Void) {
        guard let index = accounts.firstIndex(where: { $0.name == name }) else { return }
        change(&accounts[index])
    }
}
