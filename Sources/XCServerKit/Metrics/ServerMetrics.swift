import Foundation
import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The server's Prometheus metrics, recorded through swift-metrics into a registry of its own.
///
/// One registry per `AppServices`, never the process-wide `MetricsSystem.bootstrap` (which may happen
/// only once per process, while tests start many servers). Series, all labels bounded:
///
/// - `xcserver_http_requests_total{route, status}`: requests by route (`player_api:ACTION`, `movie`,
///   `series`, `get.php`, `xmltv.php`, `api`, `metrics`, `health`, `other`; never raw paths) and status code.
/// - `xcserver_active_slots{account}`: live viewings (provider connections) per account, read at scrape time.
/// - `xcserver_account_max_connections{account}`: each account's `max_connections`, for ratios.
/// - `xcserver_upstream_bytes_total{account}`: body bytes streamed from each provider account to clients.
/// - `xcserver_live_viewers{channel}`: viewers of each watched live channel (its public id), at scrape time.
/// - `xcserver_live_reconnects_total{account}`: live channel upstreams lost and reopened.
/// - `xcserver_live_viewer_events_total{event}`: slow live viewers `moved_forward` and `dropped`.
/// - `xcserver_sync_jobs_total{outcome}`: sync jobs ended, by `done`, `failed`, `cancelled`.
/// - `xcserver_sync_job_duration_seconds{outcome}`: histogram of sync job wall time.
public final class ServerMetrics: Sendable {
    enum Name {
        static let httpRequests = "xcserver_http_requests_total"
        static let activeSlots = "xcserver_active_slots"
        static let maxConnections = "xcserver_account_max_connections"
        static let upstreamBytes = "xcserver_upstream_bytes_total"
        static let liveViewers = "xcserver_live_viewers"
        static let liveReconnects = "xcserver_live_reconnects_total"
        static let liveViewerEvents = "xcserver_live_viewer_events_total"
        static let syncJobs = "xcserver_sync_jobs_total"
        static let syncJobDuration = "xcserver_sync_job_duration_seconds"
    }

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    /// Accounts given a slot gauge so far: one that disappears (deleted, renamed, disabled) drops to 0.
    private let gaugedAccounts = Mutex<Set<String>>([])

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Name.syncJobDuration] = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200].map { .seconds($0) }
        self.factory = factory
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = ([name] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1}")
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    func countRequest(route: String, status: Int) {
        counter(Name.httpRequests, [("route", route), ("status", String(status))]).increment()
    }

    /// The account's byte counter, for a stream loop to look up once rather than per chunk.
    func upstreamBytesCounter(account: String) -> CoreMetrics.Counter {
        counter(Name.upstreamBytes, [("account", account)])
    }

    enum LiveViewerEvent: String {
        case movedForward = "moved_forward"
        case dropped
    }

    func countLiveViewer(_ event: LiveViewerEvent) {
        counter(Name.liveViewerEvents, [("event", event.rawValue)]).increment()
    }

    func countLiveReconnect(account: String) {
        counter(Name.liveReconnects, [("account", account)]).increment()
    }

    /// Channels given a viewer gauge so far: one no longer watched drops to 0.
    private let gaugedChannels = Mutex<Set<String>>([])

    /// Sets the per-channel viewer gauges from a scrape-time reading (channel public id → viewers).
    func setLiveViewers(_ viewers: [String: Int]) {
        let gone = gaugedChannels.withLock { known in
            let gone = known.subtracting(viewers.keys)
            known = Set(viewers.keys)
            return gone
        }
        for (channel, count) in viewers {
            CoreMetrics.Gauge(label: Name.liveViewers, dimensions: [("channel", channel)], factory: factory).record(count)
        }
        for channel in gone {
            CoreMetrics.Gauge(label: Name.liveViewers, dimensions: [("channel", channel)], factory: factory).record(0)
        }
    }

    func recordSyncJob(outcome: String, duration: Duration) {
        counter(Name.syncJobs, [("outcome", outcome)]).increment()
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        CoreMetrics.Timer(label: Name.syncJobDuration, dimensions: [("outcome", outcome)], factory: factory).recordNanoseconds(nanoseconds)
    }

    /// Sets the per-account gauges from a scrape-time reading.
    func setAccounts(_ accounts: [(name: String, activeSlots: Int, maxConnections: Int)]) {
        let current = Set(accounts.map(\.name))
        let gone = gaugedAccounts.withLock { known in
            let gone = known.subtracting(current)
            known.formUnion(current)
            return gone
        }
        for account in accounts {
            CoreMetrics.Gauge(label: Name.activeSlots, dimensions: [("account", account.name)], factory: factory).record(account.activeSlots)
            CoreMetrics.Gauge(label: Name.maxConnections, dimensions: [("account", account.name)], factory: factory).record(account.maxConnections)
        }
        for name in gone {
            CoreMetrics.Gauge(label: Name.activeSlots, dimensions: [("account", name)], factory: factory).record(0)
            CoreMetrics.Gauge(label: Name.maxConnections, dimensions: [("account", name)], factory: factory).record(0)
        }
    }

    /// The Prometheus text exposition of every series.
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// The bounded `route` label of a request: never a raw path (ids and credentials are in paths).
    static func route(path: String, action: String?) -> String {
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        let first = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        switch first {
        case "player_api.php":
            guard let action, !action.isEmpty else { return "player_api" }
            return XCAction(rawValue: action) != nil ? "player_api:\(action)" : "player_api:other"
        case "movie", "series", "live", "timeshift", "hls", "api", "metrics", "health": return first
        case "get.php", "xmltv.php": return first
        default: return LivePath(path: path) != nil ? "live" : "other"
        }
    }
}
