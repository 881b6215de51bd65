import FixtureProvider
import Foundation
import NIOCore
import NIOPosix
import Testing
import XCModels
@testable import XCServerKit

/// What a new user meets in the first hour, as the built binary answers it: mistyped options, a port
/// already taken, a provider that refuses or never answers, a database path that is wrong. Each one
/// ends with a sentence naming the option, path or account, never a library's error text.
@Suite struct FirstHourTests {
    static func directory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-first-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs the binary to its end; returns the exit status, stdout and stderr.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                    timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String, errors: String) {
        let child = try SyncCommandTests.Child(arguments, in: directory, environment: environment)
        let status = try await child.wait(timeout: timeout)
        return (status, child.output, child.errors)
    }

    // MARK: Options

    @Test(arguments: [
        (["serve", "--port", "99999"], "--port must be a TCP port from 1 to 65535, not 99999"),
        (["serve", "--port", "0"], "--port must be a TCP port from 1 to 65535, not 0"),
        (["serve", "--public-port", "70000"], "--public-port must be a TCP port from 1 to 65535, not 70000"),
        (["serve", "--grace=-5"], "--grace must be 0 or more"),
        (["demo", "--port=-1"], "--port must be a TCP port from 1 to 65535, not -1"),
        (["sync", "--concurrency", "0"], "--concurrency must be at least 1, not 0"),
        (["sync", "--rate=-1"], "--rate must be 0 or more (0 means no limit), not -1.0"),
        (["sync", "--timeout", "0s"], "--timeout must be a duration above 0"),
        (["account", "add", "--name", "a", "--url", "http://127.0.0.1:1", "--username", "u", "--password", "p", "--max-connections", "0"],
         "--max-connections must be at least 1, not 0"),
        (["user", "add", "--username", "u", "--password", "p", "--expires-in-days", "0"], "--expires-in-days must be at least 1, not 0"),
    ])
    func outOfRangeOptionsAreRefusedNamingTheOption(arguments: [String], message: String) async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("x.sqlite").path
        let result = try await Self.run(arguments + ["--db", db], in: directory, timeout: .seconds(30))
        #expect(result.status != 0)
        #expect(result.errors.contains(message), "\(result.errors)")
        #expect(!result.errors.contains("serving") && !result.output.contains("is up"))
        #expect(!FileManager.default.fileExists(atPath: db), "refused before anything was opened")
    }

    // MARK: Binding

    /// A listener already on the port: `serve` and `demo` say so and exit non-zero, without having
    /// announced that they are up.
    @Test func aPortInUseIsSaidBeforeAnythingIsAnnounced() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        defer { taken.close(promise: nil) }
        let message = "port \(port) is in use (another xcserver?); choose one with --port"

        let serve = try await Self.run(["serve", "--db", directory.appendingPathComponent("s.sqlite").path, "--host", "127.0.0.1",
                                        "--port", String(port), "--sync-interval", "0"], in: directory)
        #expect(serve.status != 0)
        #expect(serve.errors.contains(message), "\(serve.errors)")
        #expect(!serve.errors.contains("bind(") && !serve.errors.contains("serving "), "\(serve.errors)")

        let demo = try await Self.run(["demo", "--db", directory.appendingPathComponent("d.sqlite").path, "--host", "127.0.0.1",
                                       "--port", String(port)], in: directory)
        #expect(demo.status != 0)
        #expect(demo.errors.contains(message), "\(demo.errors)")
        #expect(!demo.output.contains("is up") && !demo.output.contains("Admin API token"), "\(demo.output)")
    }

    // MARK: Providers

    @Test func aRefusedConnectionNamesTheAccountAndTheAddress() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try await FixtureProvider.freePort()  // nothing listens there any more
        let db = directory.appendingPathComponent("r.sqlite").path
        try await Store(path: db).addAccount(Account(name: "alpha", baseURL: "http://127.0.0.1:\(port)", username: "u", password: "p",
                                                     maxConnections: 1, priority: 1))
        let result = try await Self.run(["sync", "--db", db], in: directory)
        #expect(result.status == 1, "the sync ends as failed")
        let all = result.output + result.errors
        #expect(all.contains("alpha: cannot connect to 127.0.0.1:\(port) (connection refused)"), "\(all)")
        #expect(!all.contains("errno") && !all.contains("error set"), "\(all)")
        #expect(!all.contains("done in"), "a failed account is not 'done': \(all)")
    }

    /// A provider that accepts and never answers: the sync says it is waiting, then which call got no
    /// answer in how long.
    @Test func aSilentProviderIsShownWaitingThenNamed() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let provider = try await FixtureProvider.start(accounts: [try .alpha()])
        defer { Task { await provider.stop() } }
        let db = directory.appendingPathComponent("h.sqlite").path
        _ = try await SyncCommandTests.fixtureDatabase(db, provider: provider, beta: false)
        provider.setFaults(FixtureFaults(firstByteDelay: .seconds(600)), for: "alpha")
        let result = try await Self.run(["sync", "--db", db, "--timeout", "4s"], in: directory, timeout: .seconds(120))
        #expect(result.status == 1)
        let all = result.output + result.errors
        #expect(result.output.contains("[sync] alpha: waiting for the provider to answer get_vod_categories ("), "\(all)")
        #expect(all.contains("alpha: no answer to get_vod_categories within 4 s"), "\(all)")
        #expect(!all.contains("readTimeout") && !all.contains("deadlineExceeded"), "\(all)")
    }

    // MARK: Database paths

    @Test func databasePathMistakesAreNamedAndReadingCreatesNothing() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }

        // A read-only command on a missing path: a sentence, and no file or directory left behind.
        let missing = directory.appendingPathComponent("nowhere/xc.sqlite").path
        for command in [["account", "list"], ["user", "list"], ["sync"], ["prune"]] {
            let result = try await Self.run(command + ["--db", missing], in: directory)
            #expect(result.status != 0, "\(command)")
            #expect(result.errors.contains("no database at \(missing)"), "\(command): \(result.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("nowhere").path))

        // A file where a directory should be.
        let file = directory.appendingPathComponent("plain.txt")
        try Data("hello".utf8).write(to: file)
        let under = try await Self.run(["account", "add", "--db", file.appendingPathComponent("xc.sqlite").path, "--name", "a",
                                        "--url", "http://127.0.0.1:1", "--username", "u", "--password", "p"], in: directory)
        #expect(under.status != 0)
        #expect(under.errors.contains("\(file.path) is a file, not a directory"), "\(under.errors)")
        #expect(!under.errors.contains("NSCocoaErrorDomain"))

        // A directory given as the database.
        let folder = try await Self.run(["account", "list", "--db", directory.path], in: directory)
        #expect(folder.status != 0)
        #expect(folder.errors.contains("\(directory.path) is a directory"), "\(folder.errors)")
        #expect(!folder.errors.contains("SQLite error"))

        // Some other program's file.
        let notes = try await Self.run(["account", "list", "--db", file.path], in: directory)
        #expect(notes.status != 0)
        #expect(notes.errors.contains("\(file.path) is not an SQLite database"), "\(notes.errors)")
        #expect(!notes.errors.contains("SQLite error 26"))
        #expect(try String(contentsOf: file, encoding: .utf8) == "hello", "the file is left as it was")
    }

    @Test func serveOnAnEmptyDatabaseSaysHowToAddAnAccount() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("empty.sqlite").path
        let port = try await FixtureProvider.freePort()
        let child = try SyncCommandTests.Child(["serve", "--db", db, "--host", "127.0.0.1", "--port", String(port), "--sync-interval", "0",
                                                "--admin-token", "t"], in: directory)
        defer { if child.process.isRunning { child.process.terminate() } }
        let deadline = ContinuousClock.now + .seconds(30)
        while !child.errors.contains("serving"), ContinuousClock.now < deadline, child.process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        let errors = child.errors
        #expect(errors.contains("serving \(db) on http://127.0.0.1:\(port)"), "\(errors)")
        #expect(errors.contains("no provider accounts yet: add one with `xcserver account add --db \(db) --name NAME"), "\(errors)")
        #expect(errors.contains("no logins yet"), "\(errors)")
        child.process.terminate()
        #expect(try await child.wait(timeout: .seconds(20)) == 0)
    }

    // MARK: Help

    /// Every option of every command states its default once, and `--help` never prints a token the
    /// environment holds.
    @Test func helpStatesEachDefaultOnce() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let commands = [["serve"], ["demo"], ["sync"], ["prune"], ["admin-token"], ["account", "add"], ["account", "list"],
                        ["user", "add"], ["user", "list"]]
        for command in commands {
            let result = try await Self.run(command + ["--help"], in: directory, environment: ["XC_ADMIN_TOKEN": "secret-in-env"])
            #expect(result.status == 0, "\(command)")
            #expect(!result.output.contains("secret-in-env"), "\(command) --help shows the token:\n\(result.output)")
            // One entry per option: it starts at a line `  --name` and runs until the next one.
            let entries = result.output.components(separatedBy: "\n  -").map { $0.replacingOccurrences(of: "\n", with: " ") }
            for entry in entries {
                let defaults = entry.components(separatedBy: "(default").count - 1
                #expect(defaults <= 1, "\(command): \(entry)")
            }
        }
    }
}
