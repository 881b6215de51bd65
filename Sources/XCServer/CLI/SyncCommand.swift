import ArgumentParser
import AsyncHTTPClient
import Dispatch
import Foundation
import Logging
import Sync
import Synchronization
import XCModels
import XCServerKit

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Import provider catalogs now.",
        discussion: "Ctrl-C stops the sync cleanly: what was committed is kept, and the partial report is printed (exit 130).")

    @OptionGroup var common: CommonOptions
    @Option(help: "Sync only this account.") var account: String?
    @Flag(help: "Delete stale titles after the sync.") var prune = false
    @Flag(help: "Mark stale even when more than half of an account's titles vanished at once.") var force = false
    @Flag(help: "Skip fetching episodes.") var noEpisodes = false
    @Option(help: "Requests at once per provider account.") var concurrency: Int = 4
    @Option(help: "Requests per second per provider account (0: no limit).") var rate: Double = 5
    @Option(help: "How long to wait for a provider to start answering, or to send more: 90s, 5m.") var timeout: String = "90s"

    func validate() throws {
        try OptionChecks.atLeast(1, concurrency, "--concurrency")
        try OptionChecks.nonNegative(rate, "--rate", zeroMeans: "means no limit")
        guard let seconds = try? DurationText.seconds(timeout), seconds > 0 else {
            throw ValidationError("--timeout must be a duration above 0 such as 90s or 5m, not '\(timeout)'")
        }
    }

    func run() async throws {
        var logger = common.bootstrapLogging()
        let terminal = isatty(STDOUT_FILENO) == 1
        // On a terminal the progress line says what the per-account info lines would; warnings still show.
        if terminal && logger.logLevel == .info { logger.logLevel = .notice }
        let store = try common.openExistingStore()
        let wait = Duration.seconds(try DurationText.seconds(timeout))
        if wait == ProviderClient.defaultReadTimeout {
            return try await sync(store: store, http: ProviderClient.sharedHTTP, wait: wait, logger: logger, terminal: terminal)
        }
        // A client of our own must be shut down before it goes away (AsyncHTTPClient traps otherwise).
        let http = ProviderClient.makeHTTP(readTimeout: wait)
        do {
            try await sync(store: store, http: http, wait: wait, logger: logger, terminal: terminal)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
    }

    private func sync(store: Store, http: HTTPClient, wait: Duration, logger: Logger, terminal: Bool) async throws {
        let engine = SyncEngine(store: store, http: http, gates: ProviderGates(maxConcurrent: concurrency, ratePerSecond: rate),
                                listTimeout: wait, logger: logger)
        let jobs = SyncJobs(engine: engine, metrics: nil, logger: logger)
        let interrupt = Interrupt(jobs: jobs, terminal: terminal)
        defer { interrupt.cancel() }
        let job: SyncJob
        do {
            job = try await jobs.start(account: account, options: SyncOptions(force: force, prune: prune, episodes: !noEpisodes), trigger: .cli,
                                       observer: terminal ? nil : Self.logLine)
        } catch let error as SyncJobs.StartError {
            throw UserFacingError("\(error) (see `xcserver account list`)")
        }
        interrupt.watch(job.id)

        let display = Task { await terminal ? Self.showProgress(jobs: jobs, id: job.id) : Self.showWaits(jobs: jobs, id: job.id) }
        let ended = await jobs.wait(job.id)
        display.cancel()
        await display.value
        guard let ended else { throw ExitCode(1) }
        if !ended.summaryText.isEmpty { print(ended.summaryText) }
        switch ended.phase {
        case .cancelled: throw ExitCode(130)
        case .failed: throw ExitCode(1)
        default: break
        }
    }

    /// On a terminal: one line, rewritten in place as the job moves.
    static func showProgress(jobs: SyncJobs, id: Int) async {
        var last = ""
        while !Task.isCancelled, let job = jobs.job(id), !job.phase.isFinal {
            let line = job.progressLine(at: Date())
            if line != last { FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8)) }
            last = line
            try? await Task.sleep(for: .milliseconds(200))
        }
        if !last.isEmpty { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// Not on a terminal: a line when a provider keeps the sync waiting for an answer, after the quiet
    /// period and then every 15 s, so a log shows why nothing moves.
    static func showWaits(jobs: SyncJobs, id: Int) async {
        var noticed: (since: Date, count: Int)?
        while !Task.isCancelled, let job = jobs.job(id), !job.phase.isFinal {
            let now = Date()
            if let waiting = job.waiting, let text = job.waitingText(at: now) {
                let due = SyncJob.waitNotices(elapsed: now.timeIntervalSince(waiting.since))
                let given = noticed?.since == waiting.since ? noticed!.count : 0
                if due > given {
                    FileHandle.standardOutput.write(Data("[sync] \(text)\n".utf8))
                    noticed = (waiting.since, due)
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Otherwise (a pipe, a log file): a plain line as each step starts. Unbuffered, so a reader sees it
    /// when it happens.
    @Sendable static func logLine(_ event: SyncProgress) {
        let line: String
        switch event {
        case .phase(let account, let phase): line = "[sync] \(account): \(phase.rawValue)"
        case .accountFinished(let report):
            let outcome = report.cancelled ? "cancelled" : report.error == nil ? "done" : "failed"
            line = "[sync] \(report.account): \(outcome) in \(String(format: "%.2f", report.seconds)) s"
        case .finishing: line = "[sync] finishing"
        case .kind, .waiting, .answered: return
        }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Ctrl-C while `sync` runs: the first one cancels the job (it stops between batches, keeping what was
/// committed); a second one, or one before the job exists, quits at once.
final class Interrupt {
    final class State: Sendable {
        let job = Atomic<Int>(0)
        let pressed = Atomic<Int>(0)
    }

    private let state = State()
    private let source: any DispatchSourceSignal

    init(jobs: SyncJobs, terminal: Bool) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [state] in
            let id = state.job.load(ordering: .sequentiallyConsistent)
            guard id > 0, state.pressed.add(1, ordering: .relaxed).newValue == 1 else { quitNow(130) }
            _ = jobs.cancel(id)
            FileHandle.standardError.write(Data("\(terminal ? "\n" : "")cancelling: stopping after the current batch (Ctrl-C again to quit at once)\n".utf8))
        }
        source.resume()
    }

    /// The job a Ctrl-C cancels from now on.
    func watch(_ id: Int) {
        state.job.store(id, ordering: .sequentiallyConsistent)
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

/// The C `exit`, which inside a command type would name ArgumentParser's `exit(withError:)`.
private func quitNow(_ code: Int32) -> Never {
    exit(code)
}

/// `xcserver prune --stale-for 7d`: deletes titles providers stopped listing that long ago or more.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Delete titles that have been stale (no longer listed by their provider) for a while.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Only relations stale at least this long: 90s, 30m, 24h, 7d; 0 means every stale one.")
    var staleFor: String = "0"

    func validate() throws {
        do { _ = try DurationText.seconds(staleFor) } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        let logger = common.bootstrapLogging()
        let store = try common.openExistingStore()
        let engine = SyncEngine(store: store, http: ProviderClient.sharedHTTP, gates: ProviderGates(), logger: logger)
        let deleted = try await engine.prune(staleFor: try DurationText.seconds(staleFor))
        print("deleted \(deleted) stale relations (and the titles left without any)")
    }
}
