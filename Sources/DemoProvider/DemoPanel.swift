import Logging
import NIOConcurrencyHelpers

/// The provider `xcserver demo` syncs from: a real XC panel on loopback serving the embedded `fixtures/`
/// catalogs, the sample videos with Range support, live channels (MPEG-TS and HLS) and a guide. No faults
/// and no counters: those are the test fixture's, in FixtureProvider, which the installed binary does not
/// carry (docs/providers.md).
///
/// ```swift
/// let panel = try await DemoPanel.start(accounts: [try .alpha(), try .beta()])
/// defer { Task { await panel.stop() } }
/// ```
public final class DemoPanel: Sendable {
    private let backend: DemoBackend
    private let server: ProviderServer

    private init(backend: DemoBackend, server: ProviderServer) {
        self.backend = backend
        self.server = server
    }

    /// Starts the panel on a free port of `host` and returns once it listens.
    public static func start(accounts: [DemoAccount], host: String = "127.0.0.1", logger: Logger? = nil) async throws -> DemoPanel {
        let backend = DemoBackend(accounts: accounts, host: host)
        let responder = ProviderResponder(backend: backend, broadcast: LiveBroadcast(source: try .embedded(bitsPerSecond: 2_000_000)))
        let server = try await ProviderServer.start(responder, host: host, port: 0, logger: logger ?? ProviderServer.quietLogger("DemoProvider"))
        backend.boundPort.withLockedValue { $0 = server.port }
        return DemoPanel(backend: backend, server: server)
    }

    /// `http://HOST:PORT` (no trailing slash): the accounts' base URL.
    public var baseURL: String { backend.baseURL }

    public func stop() async { await server.stop() }
}

/// Fixed accounts and the plain answers of ``ProviderBackend``'s defaults.
final class DemoBackend: ProviderBackend {
    let accounts: [String: DemoAccount]
    let host: String
    let pathPrefix = ""
    let boundPort = NIOLockedValueBox(0)

    init(accounts: [DemoAccount], host: String) {
        self.accounts = Dictionary(accounts.map { ($0.username, $0) }, uniquingKeysWith: { first, _ in first })
        self.host = host
    }

    var port: Int { boundPort.withLockedValue { $0 } }

    func account(_ username: String) -> (any ProviderAccount)? { accounts[username] }
}
