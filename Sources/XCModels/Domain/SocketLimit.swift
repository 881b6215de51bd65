import GRDB

/// Whether a provider counts open sockets (docs/sockets.md).
///
/// - `tolerant`: the provider counts streams (or titles per address); each client request of a viewing may
///   have its own upstream socket. The default: most panels behave so, and it costs nothing.
/// - `strict`: the provider counts every open socket; a viewing's requests share one upstream socket.
///
/// A tolerant account that refuses a second concurrent request of an admitted viewing is switched to strict
/// by the stream proxy (detection), and stays so.
public enum SocketLimit: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case tolerant
    case strict

    public static let `default` = SocketLimit.tolerant
}
