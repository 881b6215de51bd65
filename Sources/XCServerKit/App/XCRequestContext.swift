import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer address, which the
/// slot core needs to tell one household device from another.
struct XCRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Form-encoded POST bodies from Smarters-style clients are small; anything bigger is not an XC call.
    var maxUploadSize: Int { 64 * 1024 }

    var clientIP: String { remoteAddress?.ipAddress ?? "unknown" }
}
