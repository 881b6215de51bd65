import AsyncHTTPClient
import Logging
import Sync
import XCModels

/// The long-lived parts every route shares; built once by `serve`, `demo` and tests.
final class AppServices: Sendable {
    let config: ServerConfig
    let store: Store
    let http: HTTPClient
    let sync: SyncEngine
    let details: DetailFetcher
    let episodes: OnDemandEpisodes
    let logger: Logger

    init(config: ServerConfig, store: Store, http: HTTPClient = .shared, gates: ProviderGates = ProviderGates(),
         logger: Logger = Logger(label: "xcserver")) {
        self.config = config
        self.store = store
        self.http = http
        self.logger = logger
        self.sync = SyncEngine(store: store, http: http, gates: gates, logger: logger)
        self.details = DetailFetcher(sync: sync, logger: logger)
        self.episodes = OnDemandEpisodes(sync: sync, logger: logger)
    }

    /// Live viewings of a user, for `user_info.active_cons`.
    func activeConnections(userID: Int64) -> Int { 0 }
}
