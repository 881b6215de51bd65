import AsyncHTTPClient
import FixtureProvider
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import NIOHTTP1
import Sync
import XCModels
@testable import XCServerKit

/// A real xcserver on 127.0.0.1 (random port) over a real SQLite file in a temporary directory, in
/// front of a real fixture provider, for one test.
final class TestEnvironment: Sendable {
    struct ProviderAccount: Sendable {
        var fixture: FixtureAccount
        var name: String
        var priority: Int
        var maxConnections: Int
    }

    let directory: URL
    let store: Store
    let provider: FixtureProvider
    let services: AppServices
    /// The slot core behind `services.slots`, checking its invariants after every step.
    let slotCore: InProcessSlotCore
    let port: Int
    private let server: Task<Void, any Error>
    private let serviceGroup: ServiceGroup

    static let userName = "family"
    static let userPassword = "p@ss+word/with&odd chars"

    /// The two fixture accounts of `fixtures/`: alpha (priority 10) and beta (priority 5).
    static func fixtureAccounts() throws -> [ProviderAccount] {
        [ProviderAccount(fixture: try .alpha(), name: "alpha", priority: 10, maxConnections: 1),
         ProviderAccount(fixture: try .beta(), name: "beta", priority: 5, maxConnections: 2)]
    }

    /// Runs `body` against a fresh environment and always tears it down. `logger`: where the server
    /// logs (default: stderr at `$LOG_LEVEL`, else warning).
    static func with<T>(
        accounts: [ProviderAccount]? = nil, sync: Bool = true, config: ServerConfig = ServerConfig(), logger: Logger? = nil,
        liveBitsPerSecond: Int = 2_000_000, _ body: (TestEnvironment) async throws -> T
    ) async throws -> T {
        let environment = try await TestEnvironment(accounts: accounts ?? fixtureAccounts(), config: config, logger: logger,
                                                    liveBitsPerSecond: liveBitsPerSecond)
        do {
            if sync {
                let report = try await environment.services.sync.run()
                if report.failed { throw TestFailure("fixture sync failed:\n\(report.text)") }
            }
            let result = try await body(environment)
            await environment.stop()
            return result
        } catch {
            await environment.stop()
            throw error
        }
    }

    private init(accounts: [ProviderAccount], config: ServerConfig, logger: Logger?, liveBitsPerSecond: Int) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-test-\(UUID().uuidString)")
        store = try Store(path: directory.appendingPathComponent("test.sqlite").path)
        provider = try await FixtureProvider.start(accounts: accounts.map(\.fixture), liveBitsPerSecond: liveBitsPerSecond)
        for account in accounts {
            try await store.addAccount(Account(
                name: account.name, baseURL: provider.baseURL, username: account.fixture.username,
                password: account.fixture.password, maxConnections: account.maxConnections, priority: account.priority))
        }
        try await store.addUser(User(username: Self.userName, password: Self.userPassword, maxConnections: 2))
        var config = config
        config.host = "127.0.0.1"
        config.port = 0
        let logger = logger ?? {
            var logger = Logger(label: "xcserver-test")
            logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            return logger
        }()
        slotCore = InProcessSlotCore(grace: config.grace, liveLinger: config.liveLinger, settle: config.settle, backoff: config.backoff, logger: logger,
                                     verifiesInvariants: true)
        services = AppServices(
            config: config, store: store, gates: ProviderGates(maxConcurrent: 4, ratePerSecond: 0), slots: slotCore, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = buildApplication(services: services) { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        serviceGroup = group
        server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestFailure("server did not start") }
        self.port = port
    }

    func stop() async {
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await server.value
        await provider.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `player_api.php?username=…&password=…&…` with the test user's credentials, percent-encoded.
    func apiPath(_ parameters: String = "", username: String = userName, password: String = userPassword) -> String {
        let query = "username=\(ProviderClient.percentEncode(username))&password=\(ProviderClient.percentEncode(password))"
        return "/player_api.php?\(query)\(parameters.isEmpty ? "" : "&" + parameters)"
    }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> ProviderValue { try JSONDecoder().decode(ProviderValue.self, from: Data(body)) }
    }

    func request(_ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 256 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
    }

    func api(_ parameters: String = "") async throws -> ProviderValue {
        let reply = try await request(apiPath(parameters))
        guard reply.status == 200 else { throw TestFailure("HTTP \(reply.status) for \(parameters): \(reply.text)") }
        return try reply.json()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
