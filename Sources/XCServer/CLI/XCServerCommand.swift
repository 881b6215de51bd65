import ArgumentParser
import Foundation
import Logging
import XCModels

@main
struct XCServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xcserver",
        abstract: "One Xtream Codes account for the household, in front of your provider subscriptions.",
        subcommands: [Serve.self, Demo.self, AccountCommand.self, UserCommand.self, SyncCommand.self, PruneCommand.self, AdminTokenCommand.self, Bench.self]
    )
}

/// Options every command that touches the database shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "SQLite database file (default: $XC_DB, else ./xcserver.sqlite).")
    var db: String = Store.defaultPath

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: $LOG_LEVEL, else info).")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    func openStore() throws -> Store {
        try Store(path: db)
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
