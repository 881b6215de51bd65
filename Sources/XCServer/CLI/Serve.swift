import ArgumentParser
import Hummingbird
import Foundation
import Logging
import XCModels
import XCServerKit

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the XC API and streams.")

    @OptionGroup var common: CommonOptions

    @Option(help: "TCP port to listen on.")
    var port: Int = 8080

    @Option(help: "Address to listen on.")
    var host: String = "0.0.0.0"

    @Option(help: "Host name clients are told to use for streams (default: the Host they connected with).")
    var publicHost: String?

    @Option(help: "Port clients are told to use for streams (default: the port they connected to).")
    var publicPort: Int?

    @Option(help: "Seconds a viewing's provider connection is kept after its last request ends (seeks reuse it).")
    var grace: Double = 10

    @Option(help: "Seconds a live channel's provider connection is kept after its last viewer leaves (players reconnect).")
    var liveLinger: Double = 3

    @Option(help: "MiB of recent stream kept per watched live channel for late and slow viewers.")
    var liveBuffer: Int = 4

    @Option(help: "Seconds without a byte from the provider after which a live channel is reopened.")
    var liveStallTimeout: Double = 5

    @Option(name: .customLong("trusted-proxy"), help: "A reverse proxy whose X-Forwarded-For names the client (repeatable).")
    var trustedProxies: [String] = []

    /// Optional, so `--help` shows no default: the environment's token must never be printed there.
    @Option(help: "Bearer token for the admin API (/api/...) (default: $XC_ADMIN_TOKEN, else one generated and kept in the database).")
    var adminToken: String?

    @Option(help: "Sync every account this often: 24h, 30m, 90s, 7d; 0 turns it off. Counted from the last full sync.")
    var syncInterval: String = "24h"

    @Option(help: "Fetch every account's guide (xmltv.php) this often: 12h, 6h; 0: only with syncs. Counted per account.")
    var epgInterval: String = "12h"

    @Option(help: "The server's time zone (Europe/Paris): guide times and catch-up start times clients send are in it.")
    var timezone: String = "UTC"

    func validate() throws {
        try OptionChecks.port(port, "--port")
        try OptionChecks.port(publicPort, "--public-port")
        try OptionChecks.nonNegative(grace, "--grace", zeroMeans: "ends a viewing with its last request")
        try OptionChecks.nonNegative(liveLinger, "--live-linger", zeroMeans: "closes a channel with its last viewer")
        guard (1...1024).contains(liveBuffer) else {
            throw ValidationError("--live-buffer: \(liveBuffer) MiB is out of range; give 1 to 1024 (4 holds 4 s of an 8 Mbit/s channel)")
        }
        guard liveStallTimeout >= 0.5 else {
            throw ValidationError("--live-stall-timeout: \(liveStallTimeout) s is too short; give at least 0.5 (5 is the default)")
        }
        do { _ = try DurationText.parse(syncInterval) } catch { throw ValidationError("--sync-interval: \(error)") }
        do { _ = try DurationText.parse(epgInterval) } catch { throw ValidationError("--epg-interval: \(error)") }
        guard TimeZone(identifier: timezone) != nil else {
            throw ValidationError("--timezone: '\(timezone)' is not a time zone; use a name such as Europe/Paris or UTC")
        }
    }

    func run() async throws {
        let logger = common.bootstrapLogging()
        let store = try common.openStore()
        var token = adminToken ?? CLIEnvironment.current.adminToken ?? ""
        if token.isEmpty {
            let stored = try await store.adminToken()
            token = stored.token
            if stored.created {
                print("admin API token (generated, kept in \(store.path)): \(stored.token)")
                // stdout is block-buffered under systemd or `> file`: show the token now, not 4 KiB later.
                fflush(nil)
            } else {
                logger.info("[api] admin API uses the token kept in \(store.path) (`xcserver admin-token` shows it)")
            }
        }
        var live = LiveStreamPolicy()
        live.bufferBytes = liveBuffer << 20
        live.stallTimeout = .milliseconds(Int64(liveStallTimeout * 1000))
        let config = ServerConfig(host: host, port: port, publicHost: publicHost, publicPort: publicPort,
                                  grace: .milliseconds(Int64(grace * 1000)), liveLinger: .milliseconds(Int64(liveLinger * 1000)),
                                  live: live, trustedProxies: Set(trustedProxies), adminToken: token,
                                  syncInterval: try DurationText.parse(syncInterval), epgInterval: try DurationText.parse(epgInterval),
                                  timeZone: TimeZone(identifier: timezone)!)
        await Self.warnIfEmpty(store, logger: logger)
        let services = AppServices(config: config, store: store, logger: logger)
        try await Listen.run(services) { [host] bound in
            logger.info("[api] serving \(store.path) on http://\(host):\(bound)")
        }
    }

    /// A server without provider accounts or logins answers every app with nothing; say so at start,
    /// with the command that fixes it.
    static func warnIfEmpty(_ store: Store, logger: Logger) async {
        let db = store.path == CLIEnvironment.current.defaultDB ? "" : " --db \(store.path)"
        if (try? await store.accounts().isEmpty) == true {
            logger.warning("[api] no provider accounts yet: add one with `xcserver account add\(db) --name NAME --url URL --username U --password P` (or POST /api/accounts), then `xcserver sync\(db)`")
        }
        if (try? await store.users().isEmpty) == true {
            logger.warning("[api] no logins yet: apps cannot sign in until you add one with `xcserver user add\(db) --username U --password P`")
        }
    }
}
