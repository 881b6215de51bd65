import Hummingbird
import NIOCore

package enum StreamKind: String, Sendable {
    case movie
    case series
    case live
}

/// One title of an account, as a connection limit counts it.
package struct TitleKey: Hashable, Sendable {
    package var kind: StreamKind
    package var id: Int

    package init(kind: StreamKind, id: Int) { (self.kind, self.id) = (kind, id) }
}

/// One account as ``ProviderResponder`` serves it: credentials, catalog, guide, HLS shape and the bytes of
/// its streams. ``DemoAccount`` streams the embedded sample videos; the test fixture's `FixtureAccount`
/// adds generated media and files.
package protocol ProviderAccount: Sendable {
    var username: String { get }
    var password: String { get }
    var maxConnections: Int { get }
    var catalog: FixtureCatalog { get }
    var live: FixtureLive { get }
    var hls: FixtureHLS { get }
    /// Length in bytes of the stream file for `streamID` requested as `.ext`.
    func size(of streamID: Int, ext: String) -> Int
    func source(of streamID: Int, ext: String) -> any MediaSource
}

/// Where a stream's bytes come from.
package protocol MediaSource: Sendable {
    func open() throws -> any MediaReader
}

/// An open stream file: reads any range of it.
package protocol MediaReader {
    func read(offset: Int, count: Int) throws -> ByteBuffer
    func close()
}

/// Bytes held in memory (the demo's sample videos).
package struct MemoryMedia: MediaSource, MediaReader {
    package let buffer: ByteBuffer

    package init(_ buffer: ByteBuffer) { self.buffer = buffer }

    package func open() throws -> any MediaReader { self }

    package func read(offset: Int, count: Int) throws -> ByteBuffer {
        guard let slice = buffer.getSlice(at: buffer.readerIndex + offset, length: count) else { throw MediaReadError.beyondEnd }
        return slice
    }

    package func close() {}
}

package enum MediaReadError: Error, CustomStringConvertible {
    case beyondEnd

    package var description: String { "a stream read past the end of its media" }
}

/// Whether a stream request may proceed (decided by a test provider's connection limit and cut faults).
package enum StreamAdmission: Sendable {
    /// The request may proceed; a GET holds `lease` until its body ends and is cut after `cutAfter` bytes.
    case admitted(lease: StreamLease?, cutAfter: Int?)
    /// The account's connection limit refused it.
    case refused
}

/// Whether a stream request's connection may carry it (decided by a test provider that counts sockets).
package enum SocketAdmission: Sendable {
    case admitted
    /// Send this answer (already shaped, e.g. with `Connection: close`).
    case refused(Response)
    /// Close the connection without an answer (the provider already closed it).
    case dropped
}

/// An open stream response. Released at the end of the body and, should the body never run (client gone
/// before the head was written), by `deinit`: a count kept behind it cannot leak. `onRelease` must be
/// idempotent (it runs at least once, possibly twice).
package final class StreamLease: Sendable {
    private let onRelease: @Sendable () -> Void

    package init(_ onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    package func release() { onRelease() }

    deinit { onRelease() }
}

/// What an open live stream does at each tick.
package enum LiveTick: Sendable {
    case send
    /// Send nothing, keep the connection (what is not sent is lost, like a head-end that froze).
    case stall
    /// End the connection mid-stream.
    case drop
}

/// How a provider watches one open live stream: asked before each write, told when it ends.
package struct LiveWatch: Sendable {
    package var tick: @Sendable () -> LiveTick
    package var ended: @Sendable () -> Void

    package init(tick: @escaping @Sendable () -> LiveTick, ended: @escaping @Sendable () -> Void) {
        self.tick = tick
        self.ended = ended
    }

    /// A well-behaved channel nobody counts.
    package static let plain = LiveWatch(tick: { .send }, ended: {})
}

/// What ``ProviderResponder`` asks of the provider it answers for: where it listens, which accounts exist,
/// and hooks around each answer. The hooks' defaults are a plain, well-behaved panel (what `xcserver demo`
/// runs); FixtureProvider's `ProviderCore` implements them with faults (errors, delays, cuts, redirects,
/// connection and socket limits, live drops and stalls) and the counters tests read. A new kind of test
/// behaviour adds a hook here, with a plain default, rather than test code in the responder (docs/providers.md).
package protocol ProviderBackend: Sendable {
    var host: String { get }
    /// "" or "/sub/path".
    var pathPrefix: String { get }
    /// The bound port (0 until the listener is up).
    var port: Int { get }
    /// The account behind `username`, nil when unknown.
    func account(_ username: String) -> (any ProviderAccount)?

    /// Counts a `player_api.php` request; false for an unknown username (answered `auth: 0`).
    func beginAPI(username: String, action: String, parameters: [String: String]) -> Bool
    func endAPI(username: String)
    /// An answer replacing every `player_api.php` answer of a known username, before its password is checked.
    func apiFault(username: String) -> Response?
    /// Runs before a list action is answered; an answer returned replaces the list.
    func beforeList(username: String) async throws -> Response?
    /// Runs before `get_series_info` / `get_vod_info` are answered.
    func beforeInfo(username: String) async throws
    /// `user_info.active_cons`.
    func openTitleCount(_ username: String) -> Int

    /// Whether the connection a stream request came on may carry it (asked by film, episode and live TS paths).
    func admitSocket(username: String, channel: any Channel) -> SocketAdmission
    /// An answer refusing any stream path of a logged-in account (films, episodes, live, HLS).
    func streamRefusal(username: String) -> Response?
    /// An answer replacing a film or episode answer once the login and the refusal passed (HEAD refused,
    /// load-balancer redirects).
    func streamFault(_ request: Request, kind: StreamKind, segments: [Substring], username: String, viaLoadBalancer: Bool) -> Response?
    /// Whether `/lb/<token>/...` serves (a token a redirect fault issued).
    func isValidToken(_ token: String) -> Bool
    func admit(username: String, title: TitleKey, isGet: Bool, bodyLength: Int) -> StreamAdmission
    /// Every answer on a stream path, with its status (0: the connection was closed without one).
    func answered(_ answer: RecordedAnswer, status: Int)
    /// Stream body bytes written.
    func addBytes(_ count: Int, username: String)
    /// A pause after each body chunk of an open film or episode, read before every chunk.
    func chunkDelay(username: String) -> Duration?
    /// A live stream of `channel` starts sending.
    func watchLive(_ channel: Int) -> LiveWatch
    /// An HLS playlist (`segment` nil) or segment of `channel` was fetched (GET) by `username`.
    func fetchedHLS(username: String, channel: Int, segment: Int?)
    /// Paths only this provider answers (the test fixture's catch-up); nil: 404.
    func extraRoute(_ request: Request, segments: [Substring], responder: ProviderResponder) throws -> Response?
}

extension ProviderBackend {
    /// `http://HOST:PORT` + path prefix (no trailing slash): an account's base URL.
    package var baseURL: String {
        let printableHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(printableHost):\(port)\(pathPrefix)"
    }

    package func beginAPI(username: String, action: String, parameters: [String: String]) -> Bool { account(username) != nil }
    package func endAPI(username: String) {}
    package func apiFault(username: String) -> Response? { nil }
    package func beforeList(username: String) async throws -> Response? { nil }
    package func beforeInfo(username: String) async throws {}
    package func openTitleCount(_ username: String) -> Int { 0 }
    package func admitSocket(username: String, channel: any Channel) -> SocketAdmission { .admitted }
    package func streamRefusal(username: String) -> Response? { nil }
    package func streamFault(_ request: Request, kind: StreamKind, segments: [Substring], username: String, viaLoadBalancer: Bool) -> Response? { nil }
    package func isValidToken(_ token: String) -> Bool { false }
    package func admit(username: String, title: TitleKey, isGet: Bool, bodyLength: Int) -> StreamAdmission { .admitted(lease: nil, cutAfter: nil) }
    package func answered(_ answer: RecordedAnswer, status: Int) {}
    package func addBytes(_ count: Int, username: String) {}
    package func chunkDelay(username: String) -> Duration? { nil }
    package func watchLive(_ channel: Int) -> LiveWatch { .plain }
    package func fetchedHLS(username: String, channel: Int, segment: Int?) {}
    package func extraRoute(_ request: Request, segments: [Substring], responder: ProviderResponder) throws -> Response? { nil }
}
