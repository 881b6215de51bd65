import Foundation
import Logging
import Sync
import XCModels

// What the `xcserver` executable builds the server from: a configuration and the services. The other
// parameters (the HTTP client, the provider gates, the slot core) exist for tests, which see them
// through `@testable import`.

extension AppServices {
    /// The services `serve` and `demo` run: the shared HTTP client, default provider gates, the in-process slot core.
    public convenience init(config: ServerConfig, store: Store, logger: Logger) {
        self.init(config: config, store: store, http: ProviderClient.sharedHTTP, gates: ProviderGates(), slots: nil, logger: logger)
    }
}

extension ServerConfig {
    /// The options of `serve` (and `demo`); everything else keeps its default.
    public init(host: String, port: Int, publicHost: String? = nil, publicPort: Int? = nil, grace: Duration = .seconds(10),
                liveLinger: Duration = .seconds(3), live: LiveStreamPolicy = LiveStreamPolicy(), trustedProxies: Set<String> = [], adminToken: String?, syncInterval: Duration? = nil,
                epgInterval: Duration? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.init()
        self.host = host
        self.port = port
        self.publicHost = publicHost
        self.publicPort = publicPort
        self.grace = grace
        self.liveLinger = liveLinger
        self.live = live
        self.trustedProxies = trustedProxies
        self.adminToken = adminToken
        self.syncInterval = syncInterval
        self.epgInterval = epgInterval
        self.timeZone = timeZone
    }
}
