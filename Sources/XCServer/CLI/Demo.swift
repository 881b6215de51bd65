import ArgumentParser
import DemoProvider
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Sync
import XCModels
import XCServerKit

/// `xcserver demo`: a complete xcserver with nothing configured. Starts the demo provider (two provider
/// accounts serving the `fixtures/` catalogs, real, playable sample videos and live channels, all compiled
/// into the binary), syncs it into a fresh database and serves, printing what to type into TiviMate.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run xcserver against a built-in demo provider.")

    @Option(help: "TCP port to listen on.") var port: Int = 8080
    @Option(help: "Address to listen on.") var host: String = "0.0.0.0"
    @Option(help: "Demo database file, recreated at each start.") var db: String = "xcserver-demo.sqlite"
    @Option(help: "Log level.") var logLevel: String = CLIEnvironment.current.defaultLogLevel

    static let username = "demo"
    static let password = "demo"

    func validate() throws {
        try OptionChecks.port(port, "--port")
    }

    func run() async throws {
        let logger = CommonOptions.bootstrapLogging(level: logLevel)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let provider = try await DemoPanel.start(accounts: [try .alpha(), try .beta()])
        let store = try Store(path: db)
        try await store.addAccount(Account(name: "alpha", baseURL: provider.baseURL, username: "alpha",
                                           password: DemoAccount.alphaPassword, maxConnections: 1, priority: 10))
        try await store.addAccount(Account(name: "beta", baseURL: provider.baseURL, username: "beta",
                                           password: DemoAccount.betaPassword, maxConnections: 2, priority: 5))
        try await store.addUser(User(username: Self.username, password: Self.password, maxConnections: 2))
        let token = try await store.adminToken().token
        let services = AppServices(config: ServerConfig(host: host, port: port, adminToken: token), store: store, logger: logger)
        // A job like any other, so `GET /api/sync/jobs` shows what the demo imported.
        let job = try await services.jobs.start(trigger: .cli)
        if let ended = await services.jobs.wait(job.id), !ended.summaryText.isEmpty { print(ended.summaryText) }
        let address = host == "0.0.0.0" ? (Self.lanAddress() ?? "127.0.0.1") : host
        // Announced only once the listener is bound: a port in use ends the demo with a sentence instead.
        do {
            try await Listen.run(services) { [db] port in
                print("""

                xcserver demo is up. In TiviMate: Add playlist > Xtream Codes
                  server:   http://\(address):\(port)
                  username: \(Self.username)
                  password: \(Self.password)
                Try: curl 'http://127.0.0.1:\(port)/player_api.php?username=\(Self.username)&password=\(Self.password)&action=get_vod_streams'
                Admin API token: \(token)
                  curl -H 'Authorization: Bearer \(token)' http://127.0.0.1:\(port)/api/connections
                (demo provider on \(provider.baseURL), database \(db); Ctrl-C stops)

                """)
                fflush(nil)  // block-buffered when piped: the login and token must show while the server runs
            }
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
    }

    /// The first non-loopback IPv4 address, which is what a phone on the same network types in.
    static func lanAddress() -> String? {
        (try? System.enumerateDevices())?
            .compactMap { device -> String? in
                guard let address = device.address, case .v4 = address, let ip = address.ipAddress,
                      !ip.hasPrefix("127.") else { return nil }
                return ip
            }
            .first
    }
}
