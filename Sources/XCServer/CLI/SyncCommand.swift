import ArgumentParser
import AsyncHTTPClient
import Sync
import XCModels

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Import provider catalogs now.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Sync only this account.") var account: String?
    @Flag(help: "Delete stale titles after the sync.") var prune = false
    @Flag(help: "Mark stale even when more than half of an account's titles vanished at once.") var force = false
    @Flag(help: "Skip fetching episodes.") var noEpisodes = false
    @Option(help: "Requests at once per provider account.") var concurrency: Int = 4
    @Option(help: "Requests per second per provider account.") var rate: Double = 5

    func run() async throws {
        let logger = common.bootstrapLogging()
        let store = try common.openStore()
        let engine = SyncEngine(store: store, http: .shared, gates: ProviderGates(maxConcurrent: concurrency, ratePerSecond: rate), logger: logger)
        let report: SyncReport
        do {
            report = try await engine.run(accountName: account, options: SyncOptions(force: force, prune: prune, episodes: !noEpisodes))
        } catch let error as SyncEngineError {
            throw UserFacingError(error.description)
        }
        print(report.text)
        if report.failed { throw ExitCode(1) }
    }
}
