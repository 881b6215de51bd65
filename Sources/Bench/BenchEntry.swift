import FixtureProvider
import Foundation
import XCServerKit

/// The benchmark's entry, on the same executor as `xcserver`'s (see `NIOMain`): the fixture provider and
/// the load clients of this process run as they did when the benchmark was a subcommand of `xcserver`, so
/// the figures stay comparable.
@main
enum BenchEntry {
    static func main() {
        NIOMain.run { await Bench.main() }
    }
}

extension Bench {
    /// The `xcserver` the benchmark runs as its children (`sync`, `serve`): the one built beside this
    /// binary, so `swift run -c release xcserver-bench` measures the release server of the same checkout.
    static func serverExecutable() throws -> String {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let server = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("xcserver").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw UserFacingError("no xcserver beside \(me): build it first with `swift build -c release --product xcserver`")
        }
        return server
    }
}

extension Bench {
    /// Starts `xcserver serve` on 127.0.0.1 at a free port, syncing never, with `arguments` added (the
    /// database and log level among them); returns the process and its port.
    static func startServer(_ executable: String, _ arguments: [String]) async throws -> (Process, Int) {
        let port = try await FixtureProvider.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: executable)
        server.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--sync-interval", "0"] + arguments
        try server.run()
        return (server, port)
    }
}

/// A message for the terminal, then exit 1: how the benchmark reports a step that went wrong.
struct UserFacingError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
