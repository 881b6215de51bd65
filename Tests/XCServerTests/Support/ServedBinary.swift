import AsyncHTTPClient
import Foundation
import NIOCore
import FixtureProvider
import Sync
import XCModels
@testable import XCServerKit

/// The built xcserver running `serve` or `demo` in its own process on a free loopback port, as a user
/// runs it, with plain HTTP GETs against it.
struct ServedBinary: Sendable {
    let child: SyncCommandTests.Child
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `xcserver COMMAND ARGUMENTS --host 127.0.0.1 --port N` in `directory` and returns once
    /// `/health` answers (the process ending first, or 30 s of silence, throws with its output).
    static func start(
        _ command: String, _ arguments: [String], in directory: URL, executable: String? = nil, environment: [String: String] = [:]
    ) async throws -> ServedBinary {
        try await onAFreePort { port in
            let child = try SyncCommandTests.Child([command] + arguments + ["--host", "127.0.0.1", "--port", String(port)],
                                                   in: directory, executable: executable, environment: environment)
            let served = ServedBinary(child: child, port: port)
            for _ in 0..<600 where child.process.isRunning {
                if (try? await served.get("/health", timeout: .seconds(5)).status) == 200 { return served }
                try await Task.sleep(for: .milliseconds(50))
            }
            if child.process.isRunning { child.process.terminate() }
            try PortTaken.check(child)
            throw TestFailure("xcserver \(command) did not answer /health on port \(port):\n\(child.output)\n\(child.errors)")
        }
    }

    /// Runs `attempt` on a port `freePort()` found free, and again on another (three tries in all) when
    /// it throws `PortTaken`. A port is free when asked, not when the child binds it: `demo` syncs for
    /// seconds first, and any connection a parallel test opens meanwhile may take that port as its source.
    static func onAFreePort<T>(_ attempt: (_ port: Int) async throws -> T) async throws -> T {
        var tries = 0
        while true {
            tries += 1
            do {
                return try await attempt(try await FixtureProvider.freePort())
            } catch is PortTaken where tries < 3 {
                continue
            }
        }
    }

    /// The child ended saying its port was in use (the sentence of `ListenError.portInUse`).
    struct PortTaken: Error, CustomStringConvertible {
        let errors: String
        var description: String { "the port was taken before the child bound it:\n\(errors)" }

        static func check(_ child: SyncCommandTests.Child) throws {
            if !child.process.isRunning, child.errors.contains("is in use (another xcserver?)") { throw PortTaken(errors: child.errors) }
        }
    }

    func get(_ path: String, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        return (Int(response.status.code), Array(try await response.body.collect(upTo: 64 << 20).readableBytesView))
    }

    func json(_ path: String) async throws -> ProviderValue {
        try JSONDecoder().decode(ProviderValue.self, from: Data(try await get(path).body))
    }

    /// `xcserver serve` in a fresh temporary directory, over a database holding both fixture accounts (on a
    /// running fixture provider), synced by `xcserver sync`, and the login `user`/`password`. Everything is
    /// stopped and removed when `body` returns.
    static func servingTheFixtures<T>(
        user: String, password: String, _ body: (ServedBinary, URL) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-served-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let provider = try await FixtureProvider.start(accounts: [try .alpha(), try .beta()])
        defer { Task { await provider.stop() } }
        let dbPath = directory.appendingPathComponent("serve.sqlite").path
        _ = try await SyncCommandTests.fixtureDatabase(dbPath, provider: provider)
            .addUser(User(username: user, password: password, maxConnections: 2))
        let sync = try SyncCommandTests.Child(["sync", "--db", dbPath, "--rate", "0"], in: directory)
        guard try await sync.wait(timeout: .seconds(120)) == 0 else { throw TestFailure("the fixture sync failed:\n\(sync.output)\n\(sync.errors)") }
        let server = try await start("serve", ["--db", dbPath, "--sync-interval", "0", "--admin-token", "t"], in: directory)
        defer { if server.child.process.isRunning { server.child.process.terminate() } }
        return try await body(server, directory)
    }

    /// SIGTERM, then the exit status.
    func stop() async throws -> Int32 {
        if child.process.isRunning { child.process.terminate() }
        return try await child.wait(timeout: .seconds(20))
    }
}

/// The login `xcserver demo` prints (and creates); written here again so a change of it shows in the tests.
enum DemoLogin {
    static let username = "demo"
    static let password = "demo"
}
