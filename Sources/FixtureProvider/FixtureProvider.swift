import DemoProvider
import Foundation
import Logging
import NIOCore

/// A real Xtream Codes provider on loopback, serving fixture or generated catalogs and deterministic media
/// with Range support, with faults switchable at run time and counters of what it saw. Used by tests and the
/// benchmark only: it serves through DemoProvider's `ProviderResponder` and adds its test behaviour through
/// the `ProviderBackend` hooks (docs/providers.md); `xcserver demo` runs the plain `DemoPanel`.
///
/// ```swift
/// let provider = try await FixtureProvider.start(accounts: [try .alpha(), try .beta()])
/// defer { Task { await provider.stop() } }
/// // GET \(provider.baseURL)/player_api.php?username=alpha&password=a%2Bb%26c%2Fd%20e
/// ```
public final class FixtureProvider: Sendable {
    let core: ProviderCore
    private let server: ProviderServer

    private init(core: ProviderCore, server: ProviderServer) {
        self.core = core
        self.server = server
    }

    /// Starts a provider and returns once its listener is bound.
    /// - Parameters:
    ///   - port: 0 picks a free port (read it back from ``port``).
    ///   - pathPrefix: serve everything under a sub-path (`/panel` -> `http://127.0.0.1:PORT/panel/player_api.php`),
    ///     as some providers do.
    ///   - logger: defaults to a `warning`-level logger labelled `FixtureProvider`.
    public static func start(
        accounts: [FixtureAccount],
        host: String = "127.0.0.1",
        port: Int = 0,
        pathPrefix: String = "",
        liveBitsPerSecond: Int = 2_000_000,
        logger: Logger? = nil
    ) async throws -> FixtureProvider {
        var prefix = pathPrefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { prefix = "/" + prefix }
        let core = ProviderCore(accounts: accounts, host: host, pathPrefix: prefix, live: LiveChannels())
        let broadcast = LiveBroadcast(source: try LiveTS.embedded(bitsPerSecond: liveBitsPerSecond))
        let responder = ProviderResponder(backend: core, broadcast: broadcast)
        let server = try await ProviderServer.start(responder, host: host, port: port,
                                                    logger: logger ?? ProviderServer.quietLogger("FixtureProvider"))
        core.state.withLockedValue { $0.port = server.port }
        return FixtureProvider(core: core, server: server)
    }

    /// The bound port.
    public var port: Int { core.port }

    /// The live channels: connection counts per channel, and dropping or stalling them on command.
    public var live: LiveChannels { core.live }

    /// `http://HOST:PORT` + path prefix (no trailing slash): an account's base URL.
    public var baseURL: String { core.baseURL }

    /// The normalized path prefix ("" or "/sub/path").
    public var pathPrefix: String { core.pathPrefix }

    /// Replaces the faults of an account (resets the `dropCount` budget).
    public func setFaults(_ faults: FixtureFaults, for username: String) {
        core.setFaults(faults, for: username)
    }

    public func faults(for username: String) -> FixtureFaults {
        core.lookup(username)?.1 ?? .none
    }

    /// Changes an account while running (catalog for a re-sync, `maxConnections`, media sizes...).
    /// Open streams keep the media they started with.
    public func updateAccount(_ username: String, _ change: @Sendable (inout FixtureAccount) -> Void) {
        core.state.withLockedValue { state in
            guard var entry = state.accounts[username] else { return }
            let name = entry.account.username
            change(&entry.account)
            entry.account.username = name
            state.accounts[username] = entry
        }
    }

    public func stats(for username: String) -> FixtureStats {
        core.state.withLockedValue { $0.accounts[username]?.stats ?? FixtureStats() }
    }

    /// Clears counters and logs of every account. What is open right now stays counted
    /// (`openStreams`, `openTitles`; the maxima restart from those values).
    public func resetStats() {
        core.state.withLockedValue { state in
            for (name, entry) in state.accounts {
                var fresh = FixtureStats()
                fresh.openStreams = entry.stats.openStreams
                fresh.maxOpenStreams = entry.stats.openStreams
                fresh.openTitles = entry.stats.openTitles
                fresh.maxOpenTitles = entry.stats.openTitles
                fresh.openSockets = entry.stats.openSockets
                fresh.maxOpenSockets = entry.stats.openSockets
                fresh.openAPIRequests = entry.stats.openAPIRequests
                fresh.maxOpenAPIRequests = entry.stats.openAPIRequests
                state.accounts[name]!.stats = fresh
            }
        }
    }

    /// Shuts the server down: graceful first (in-flight responses may finish), then, after 2 s, cancellation,
    /// which ends stalled responses too. Never hangs; calling it twice is harmless.
    public func stop() async { await server.stop() }

    // MARK: helpers for clients of the fixture

    /// What `account` serves for `streamID` requested as `.ext` at `range` (generated bytes, its `mediaFiles`
    /// file or the playable sample), for byte-exact comparisons. `range` is clamped to the file size.
    public static func expectedBytes(account: FixtureAccount, streamID: Int, range: Range<Int>, ext: String = "mkv") -> [UInt8] {
        let total = account.size(of: streamID, ext: ext)
        let clamped = max(0, min(range.lowerBound, total)) ..< max(0, min(range.upperBound, total))
        guard !clamped.isEmpty, let reader = try? account.source(of: streamID, ext: ext).open() else { return [] }
        defer { reader.close() }
        return (try? reader.read(offset: clamped.lowerBound, count: clamped.count)).map { Array($0.readableBytesView) } ?? []
    }

    /// Percent-encodes a credential for a query value or a path segment (everything but RFC 3986 unreserved).
    public static func percentEncode(_ text: String) -> String { URLText.encode(text) }

    /// `BASE/player_api.php?username=..&password=..[&action=..][&extra...]`, credentials percent-encoded.
    public func apiURL(username: String, password: String, action: String? = nil, _ extra: [(String, String)] = []) -> String {
        var url = "\(baseURL)/player_api.php?username=\(URLText.encode(username))&password=\(URLText.encode(password))"
        if let action { url += "&action=\(URLText.encode(action))" }
        for (key, value) in extra { url += "&\(URLText.encode(key))=\(URLText.encode(value))" }
        return url
    }

    /// `BASE/movie|series/USER/PASS/ID.EXT`, credentials percent-encoded.
    public func streamURL(kind: String = "movie", username: String, password: String, streamID: Int, ext: String = "mkv") -> String {
        "\(baseURL)/\(kind)/\(URLText.encode(username))/\(URLText.encode(password))/\(streamID).\(ext)"
    }

    /// `fixtures/` of the source tree this module was compiled from, for tests that read or copy the files
    /// themselves (`FixtureAccount.alpha()` and `xcserver demo` use the copy compiled into the binary and never
    /// look here). Override with the `XCSERVER_FIXTURES` environment variable.
    public static var sourceFixturesDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["XCSERVER_FIXTURES"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // FixtureProvider/
            .deletingLastPathComponent()  // Sources/
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("fixtures", isDirectory: true)
    }
}
