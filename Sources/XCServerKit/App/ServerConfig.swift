import Foundation

/// How `serve` was asked to run.
public struct ServerConfig: Sendable {
    var host = "0.0.0.0"
    var port = 8080
    /// What `server_info.url`/`port` tell clients; taken from each request's Host header when nil, which
    /// is right behind most home setups (the client reached us by that name).
    var publicHost: String?
    var publicPort: Int?
    /// How long a client may wait on an on-demand `get_series_info` fetch before getting what is stored.
    var onDemandBudget: Duration = .seconds(3)
    /// How lazy fetches (episodes, movie details) back off from a failing provider item and account.
    var fetchBackoff = FetchBackoffPolicy()
    /// How much memory rendered XC answers may take (`AnswerCache`).
    var answerCache = AnswerCachePolicy()
    /// How long a viewing's slot lingers after its last request ends (seeks and re-opens reuse it).
    var grace: Duration = .seconds(10)
    /// How long a live channel's slot lingers after its last viewer left (`--live-linger`).
    var liveLinger: Duration = .seconds(3)
    /// How a watched channel is shared (`--live-buffer`, `--live-stall-timeout`; docs/live-streaming.md).
    var live = LiveStreamPolicy()
    /// How long after a zapped viewing's last request its account still counts as busy: the provider may
    /// not have seen that connection close yet, so a new viewing there waits out the rest (docs/slots.md).
    var settle: Duration = .milliseconds(300)
    /// How long an account that refused a stream is skipped by admission and failover.
    var backoff: Duration = .seconds(30)
    /// How long a provider may take to answer a stream request with a head before the next account is tried.
    var openTimeout: Duration = .seconds(10)
    /// How many times one stream response resumes (with a Range request) after its upstream dropped.
    var maxResumes = 3
    /// Reverse proxies whose `X-Forwarded-For` names the real client (see `ClientAddress`).
    var trustedProxies: Set<String> = []
    /// Bearer token for `/api/...`; the admin API answers 401 to everything when none is set.
    var adminToken: String?
    /// How often `serve` syncs every account (`--sync-interval`); nil or zero: never on its own.
    var syncInterval: Duration?
    /// The zone of `server_info.timezone`, the guide's `start`/`end` texts and catch-up START times
    /// clients send (`--timezone`).
    var timeZone = TimeZone(identifier: "UTC")!
    /// How often `serve` fetches every account's guide (`--epg-interval`); nil or zero: only with syncs.
    var epgInterval: Duration?
}

/// How live channels are shared between their viewers (docs/live-streaming.md).
public struct LiveStreamPolicy: Sendable {
    /// Bytes of recent stream kept per watched channel for late and slow viewers (`--live-buffer`, in MiB):
    /// 4 MiB is 4 s of an 8 Mbit/s channel.
    public var bufferBytes = 4 << 20
    /// Forward moves a slow viewer may take before it is dropped.
    var maxJumps = 3
    /// No byte from the provider for this long: the channel is reopened (`--live-stall-timeout`).
    public var stallTimeout: Duration = .seconds(5)
    /// A connection that delivered this long forgets earlier losses (a channel that drops once an hour lives all day).
    var healthyAfter: Duration = .seconds(30)
    var reconnect = LiveReconnect.Policy()

    public init() {}

    var ring: LiveRing.Policy { LiveRing.Policy(capacity: bufferBytes, maxJumps: maxJumps) }
}
