import Foundation
import HTTPTypes

/// The address that identifies a client device in a viewer key.
///
/// It is the socket's peer address, unless that peer is one of the configured trusted reverse
/// proxies: then the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
/// Anyone else's `X-Forwarded-For` is ignored, or a client could claim another device's viewing.
struct ClientAddress: Sendable {
    var trustedProxies: Set<String>

    func resolve(peer: String, forwardedFor: String?) -> String {
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.reversed().first { !trustedProxies.contains($0) } ?? peer
    }
}
