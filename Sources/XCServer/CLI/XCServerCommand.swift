import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import XCModels
import XCServerKit

/// The process entry: on SwiftNIO's event loops as the global executor (see `NIOMain`).
@main
enum Entry {
    static func main() {
        NIOMain.run { await XCServerCommand.main() }
    }
}

struct XCServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xcserver",
        abstract: "One Xtream Codes account for the household, in front of your provider subscriptions.",
        subcommands: [Serve.self, Demo.self, AccountCommand.self, UserCommand.self, SyncCommand.self, PruneCommand.self, AdminTokenCommand.self]
    )
}

/// Options every command that touches the database shares.
struct CommonOptions: ParsableArguments {
    // Optional, with the default in the help text: ArgumentParser would print a second "(default: …)"
    // with the value the environment happened to give.
    @Option(name: .customLong("db"), help: "SQLite database file (default: $XC_DB, else ./xcserver.sqlite).")
    var dbOption: String?

    @Option(name: .customLong("log-level"), help: "Log level: trace, debug, info, notice, warning, error (default: $LOG_LEVEL, else info).")
    var logLevelOption: String?

    var db: String { dbOption ?? CLIEnvironment.current.defaultDB }
    var logLevel: String { logLevelOption ?? CLIEnvironment.current.defaultLogLevel }

    /// Opens the database, creating it (and its directory) when missing; every failure is a
    /// `StoreOpenError` sentence naming the path.
    func openStore() throws -> Store {
        try Store(path: db)
    }

    /// Opens an existing database only: a command that only reads (`account list`) or needs what
    /// was added before (`sync`) must not leave an empty database behind a mistyped `--db`.
    func openExistingStore() throws -> Store {
        try Store(path: db, create: false)
    }

    /// `account add` / `user add`: opens (creating) the database, adds, and prints the line `add` returns;
    /// a refusal of the store (a name already taken) becomes the store's sentence.
    func add(_ add: (Store) async throws -> String) async throws {
        let store = try openStore()
        do {
            print(try await add(store))
        } catch let error as StoreError {
            throw UserFacingError(error.description)
        }
    }

    func bootstrapLogging() -> Logger {
        Self.bootstrapLogging(level: logLevel)
    }

    /// Plain lines on stderr at the chosen level; the `[sync]`/`[api]`/`[slots]` prefixes are in the messages.
    static func bootstrapLogging(level name: String) -> Logger {
        let level = Logger.Level(rawValue: name.lowercased()) ?? .info
        LoggingSystem.bootstrap { _ in LineLogHandler(logLevel: level) }
        return Logger(label: "xcserver")
    }
}

/// A message for the terminal, then exit 1: how every command reports a user's mistake.
struct UserFacingError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
