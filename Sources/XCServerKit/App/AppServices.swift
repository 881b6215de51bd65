import AsyncHTTPClient
import Logging
import NIOCore
import Sync
import XCModels

extension AppServices {
    /// One stream client per process: its connection pool outlives any one app (tests start many).
    static let streamReadBudget = StreamReadBudget()
    static let sharedStreamClient = Upstream.makeClient(readBudget: streamReadBudget)
}

/// The long-lived parts every route shares; built once by `serve`, `demo` and tests.
public final class AppServices: Sendable {
    let config: ServerConfig
    let store: Store
    let http: HTTPClient
    let sync: SyncEngine
    /// What lazy fetches remember of provider failures (back-off per item, breaker per account).
    let fetchGuard: FetchGuard
    let details: DetailFetcher
    let episodes: OnDemandEpisodes
    /// Slot bookkeeping, seen only through the protocol a shared (PostgreSQL) implementation would also fill.
    let slots: any SlotCore
    let upstream: Upstream
    /// Each viewing's upstream sockets (docs/sockets.md).
    let sockets: ViewingSockets
    let logger: Logger
    /// Sync jobs with progress (admin API, schedule); and this server's Prometheus registry.
    public let jobs: SyncJobs
    let metrics: ServerMetrics
    /// Rendered XC answers and checked logins of the database as it is (`AnswerCache`).
    let answers: AnswerCache
    /// Every watched live channel: one upstream each, shared by its viewers (docs/live-streaming.md).
    let live: LiveHub
    /// Signed-in web pages (`/admin`), in memory only.
    let sessions = AdminSessions()
    /// Running HLS viewings and their shared segment cache (docs/live-streaming.md, "HLS").
    let hls: HLSViewings

    init(config: ServerConfig, store: Store, http: HTTPClient = ProviderClient.sharedHTTP,
         gates: ProviderGates = ProviderGates(), slots: (any SlotCore)? = nil, logger: Logger = Logger(label: "xcserver")) {
        self.config = config
        self.store = store
        self.http = http
        self.logger = logger
        self.sync = SyncEngine(store: store, http: http, gates: gates, logger: logger)
        self.fetchGuard = FetchGuard(policy: config.fetchBackoff, logger: logger)
        self.details = DetailFetcher(sync: sync, fetchGuard: fetchGuard)
        self.episodes = OnDemandEpisodes(sync: sync, fetchGuard: fetchGuard)
        self.slots = slots ?? InProcessSlotCore(
            grace: config.grace, liveLinger: config.liveLinger, settle: config.settle, backoff: config.backoff,
            logger: logger)
        // The hub closes a channel before its slot's linger ends, by the settle time, so the connection is
        // gone when the slot core counts the account free (docs/live-streaming.md, "Lifetime").
        let hubLinger = config.liveLinger > config.settle ? config.liveLinger - config.settle : .zero
        let live = LiveHub(ringPolicy: config.live.ring, linger: hubLinger)
        self.live = live
        let hls = HLSViewings(logger: logger)
        self.hls = hls
        self.slots.channelEnds.listen { channel, zapped in
            if channel.hls {
                if zapped { hls.channelZapped(channel) }
            } else if zapped {
                live.close(channel)
            } else {
                live.slotEnded(channel)
            }
        }
        self.upstream = Upstream(http: Self.sharedStreamClient, readBudget: Self.streamReadBudget,
                                 openTimeout: TimeAmount(config.openTimeout), logger: logger)
        self.sockets = ViewingSockets(slots: self.slots, readBudget: Self.streamReadBudget,
                                      openTimeout: TimeAmount(config.openTimeout), settle: config.settle, logger: logger)
        self.metrics = ServerMetrics()
        self.answers = AnswerCache(store: store, policy: config.answerCache)
        self.jobs = SyncJobs(engine: sync, metrics: metrics, logger: logger)
    }

    /// The login for these credentials, through the login fast path (`AnswerCache.authenticate`), and the
    /// generation it was checked in.
    func authenticate(username: String, password: String) async throws -> (login: Login?, generation: AnswerGeneration) {
        let generation = answers.generation()
        return (try await answers.authenticate(username: username, password: password, at: generation), generation)
    }

    /// Live viewings of a user, for `user_info.active_cons`.
    func activeConnections(userID: Int64) async -> Int {
        await slots.userLoad(userID)
    }
}
