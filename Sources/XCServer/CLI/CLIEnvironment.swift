import Foundation

/// The environment variables xcserver honours, read in this one place: the CLI turns them (and its
/// options, which win) into a `ServerConfig` and a database path, and nothing below it reads the
/// environment.
struct CLIEnvironment: Sendable {
    /// `XC_DB`: the database file when `--db` is not given.
    var db: String?
    /// `LOG_LEVEL`: the log level when `--log-level` is not given.
    var logLevel: String?
    /// `XC_ADMIN_TOKEN`: the admin API token when `serve --admin-token` is not given.
    var adminToken: String?

    static let current = CLIEnvironment(ProcessInfo.processInfo.environment)

    init(_ variables: [String: String]) {
        db = variables["XC_DB"]
        logLevel = variables["LOG_LEVEL"]
        adminToken = variables["XC_ADMIN_TOKEN"]
    }

    /// The database file: `$XC_DB`, else `xcserver.sqlite` in the working directory.
    var defaultDB: String { db ?? "xcserver.sqlite" }
    var defaultLogLevel: String { logLevel ?? "info" }
}
