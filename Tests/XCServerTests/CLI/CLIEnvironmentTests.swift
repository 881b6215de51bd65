import Foundation
import Testing
@testable import XCServerKit

/// The CLI is the one reader of the environment (`CLIEnvironment` in the executable); the built binary
/// shows that its variables are honoured and that options win over them.
@Suite struct CLIEnvironmentTests {
    @Test func xcDBNamesTheDatabaseAndDBOverridesIt() async throws {
        let directory = try FirstHourTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fromEnvironment = directory.appendingPathComponent("env.sqlite").path
        let fromOption = directory.appendingPathComponent("option.sqlite").path
        let add = ["user", "add", "--username", "u", "--password", "p", "--max-connections", "1"]

        let first = try await FirstHourTests.run(add, in: directory, environment: ["XC_DB": fromEnvironment])
        #expect(first.status == 0, "\(first.output)\(first.errors)")
        #expect(FileManager.default.fileExists(atPath: fromEnvironment), "XC_DB named the database")

        let second = try await FirstHourTests.run(add + ["--db", fromOption], in: directory, environment: ["XC_DB": fromEnvironment])
        #expect(second.status == 0, "\(second.output)\(second.errors)")
        #expect(FileManager.default.fileExists(atPath: fromOption), "--db wins over XC_DB")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("xcserver.sqlite").path),
                "no default database was made while XC_DB or --db named one")
    }

    @Test func tunablesDefaultToTodaysValues() {
        let config = ServerConfig()
        #expect(config.settle == .milliseconds(300))
        #expect(config.backoff == .seconds(30))
        #expect(config.openTimeout == .seconds(10))
        #expect(config.maxResumes == 3)
    }
}
