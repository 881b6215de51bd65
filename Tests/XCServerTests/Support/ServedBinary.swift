import AsyncHTTPClient
import Foundation
import NIOCore
import Sync
@testable import XCServer

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
        let port = try await StreamBench.freePort()
        let child = try SyncCommandTests.Child([command] + arguments + ["--host", "127.0.0.1", "--port", String(port)],
                                               in: directory, executable: executable, environment: environment)
        let served = ServedBinary(child: child, port: port)
        for _ in 0..<600 where child.process.isRunning {
            if (try? await served.get("/health", timeout: .seconds(5)).status) == 200 { return served }
            try await Task.sleep(for: .milliseconds(50))
        }
        if child.process.isRunning { child.process.terminate() }
        throw TestFailure("xcserver \(command) did not answer /health on port \(port):\n\(child.output)\n\(child.errors)")
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

    /// SIGTERM, then the exit status.
    func stop() async throws -> Int32 {
        if child.process.isRunning { child.process.terminate() }
        return try await child.wait(timeout: .seconds(20))
    }
}
