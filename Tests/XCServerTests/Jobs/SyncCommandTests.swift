import FixtureProvider
import Foundation
import GRDB
import Synchronization
import Testing
import XCModels
@testable import XCServerKit

/// `xcserver sync` and `xcserver prune` as a user runs them: the built binary, a real fixture provider,
/// a database file, and Ctrl-C (SIGINT) in the middle of a sync.
@Suite struct SyncCommandTests {
    /// The `xcserver` executable next to the test bundle (`swift build --build-tests` builds both).
    static func executable() throws -> String {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("xcserver").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw TestFailure("no xcserver executable near \(me); run `swift build --build-tests`")
    }

    /// A running child with stdout and stderr going to files, so the test can watch its output.
    final class Child: Sendable {
        let process: Spawned
        let stdout: URL
        let stderr: URL

        /// Runs `executable` (default: the built xcserver) in `directory`, with `environment` added to ours.
        init(_ arguments: [String], in directory: URL, executable: String? = nil, environment: [String: String] = [:]) throws {
            stdout = directory.appendingPathComponent("out-\(UUID().uuidString)")
            stderr = directory.appendingPathComponent("err-\(UUID().uuidString)")
            process = try Spawned(
                try executable ?? SyncCommandTests.executable(), arguments, in: directory.path,
                environment: ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "info"].merging(environment) { $1 }) { $1 },
                stdout: stdout.path, stderr: stderr.path)
        }

        var output: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
        var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

        func waitForOutput(_ text: String, timeout: Duration = .seconds(30)) async throws {
            let deadline = ContinuousClock.now + timeout
            while !output.contains(text) {
                guard ContinuousClock.now < deadline, process.isRunning else {
                    throw TestFailure("no '\(text)' in the output:\n\(output)\n\(errors)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        func wait(timeout: Duration = .seconds(30)) async throws -> Int32 {
            let timer = Task { [process] in
                try await Task.sleep(for: timeout)
                process.terminate()
            }
            defer { timer.cancel() }
            return await process.wait()
        }
    }

    /// A database at `path` with the fixture's accounts: alpha (priority 10, 1 connection) and, unless
    /// left out, beta (priority 5, 2 connections), both on `provider`.
    static func fixtureDatabase(_ path: String, provider: FixtureProvider, beta: Bool = true) async throws -> Store {
        let store = try Store(path: path)
        try await store.addAccount(Account(name: "alpha", baseURL: provider.baseURL, username: "alpha",
                                           password: FixtureAccount.alphaPassword, maxConnections: 1, priority: 10))
        if beta {
            try await store.addAccount(Account(name: "beta", baseURL: provider.baseURL, username: "beta",
                                               password: FixtureAccount.betaPassword, maxConnections: 2, priority: 5))
        }
        return store
    }

    @Test func ctrlCStopsTheSyncKeepingWhatWasCommitted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let provider = try await FixtureProvider.start(accounts: [try .alpha(), try .beta()])
        defer { Task { await provider.stop() } }
        let dbPath = directory.appendingPathComponent("cli.sqlite").path
        _ = try await Self.fixtureDatabase(dbPath, provider: provider)
        provider.setFaults(FixtureFaults(infoDelay: .seconds(20)), for: "alpha")

        let child = try Child(["sync", "--db", dbPath, "--rate", "0"], in: directory)
        try await child.waitForOutput("[sync] alpha: episodes")
        #expect(child.output.contains("[sync] alpha: movies"), "plain progress lines when stdout is not a terminal")
        kill(child.process.processIdentifier, SIGINT)
        let started = ContinuousClock.now
        let status = try await child.wait()
        #expect(started.duration(to: .now) < .seconds(10), "stopped without waiting for the slow fetches")
        #expect(status == 130, "\(child.output)\n\(child.errors)")
        let output = child.output
        #expect(output.contains("alpha movies"), "the partial report: \(output)")
        #expect(output.contains("alpha CANCELLED"))
        #expect(!output.contains("beta movies"), "beta never started")
        #expect(child.errors.contains("cancelling"))

        let store = try Store(path: dbPath)
        let alphaID = try #require(try await store.account(named: "alpha")?.id)
        let (alphaMovies, allMovies) = try await store.testRead { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation WHERE account_id = ?", arguments: [alphaID])!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movie_relation")!)
        }
        #expect(alphaMovies == 16)
        #expect(allMovies == 16)

        // Run again without the fault: it completes and exits 0, and prune has nothing to delete.
        provider.setFaults(.none, for: "alpha")
        let again = try Child(["sync", "--db", dbPath, "--rate", "0"], in: directory)
        #expect(try await again.wait() == 0, "\(again.output)\n\(again.errors)")
        #expect(again.output.contains("alpha movies (") && again.output.contains("unchanged 16"), "\(again.output)")
        let prune = try Child(["prune", "--db", dbPath, "--stale-for", "7d"], in: directory)
        #expect(try await prune.wait() == 0)
        #expect(prune.output.contains("deleted 0"), "\(prune.output)")
        let badPrune = try Child(["prune", "--db", dbPath, "--stale-for", "7 days"], in: directory)
        #expect(try await badPrune.wait() != 0)
        #expect(badPrune.errors.contains("not a duration"), "\(badPrune.errors)")
    }

    @Test func aFailedSyncExitsWith1() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let provider = try await FixtureProvider.start(accounts: [try .alpha()])
        defer { Task { await provider.stop() } }
        let dbPath = directory.appendingPathComponent("cli.sqlite").path
        _ = try await Self.fixtureDatabase(dbPath, provider: provider, beta: false)
        provider.setFaults(FixtureFaults(apiStatus: 500), for: "alpha")
        let child = try Child(["sync", "--db", dbPath, "--rate", "0"], in: directory)
        #expect(try await child.wait() == 1)
        #expect(child.output.contains("alpha FAILED"), "\(child.output)")
        let unknown = try Child(["sync", "--db", dbPath, "--account", "nope"], in: directory)
        #expect(try await unknown.wait() == 1)
        #expect(unknown.errors.contains("no account named 'nope'"), "\(unknown.errors)")
    }
}
