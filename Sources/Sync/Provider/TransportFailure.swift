import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Reads the transport errors AsyncHTTPClient and SwiftNIO throw (`IOError`, `NIOConnectionError`,
/// `ChannelError`, `HTTPClientError`) for what a person needs: did the connection fail to open, and
/// why in two or three words (`connection refused`, `host name not found`).
enum TransportFailure {
    /// The error says no connection was made (as opposed to one that broke later).
    static func isConnectFailure(_ error: any Error) -> Bool {
        switch error {
        case is NIOConnectionError, is SocketAddressError: return true
        case let error as IOError: return connectErrnos.contains(error.errnoCode)
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as HTTPClientError:
            return [.connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout].contains(error)
        default: return false
        }
    }

    private static let connectErrnos: Set<Int32> = [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, ETIMEDOUT, EHOSTDOWN]

    /// A few words on why: `connection refused`, `connection reset`, `host name not found`, `timed out`.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as IOError: return errnoText(error.errnoCode)
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "host name not found" }
            if let first = error.connectionErrors.first { return reason(first.error) }
            return "no address to connect to"
        case is SocketAddressError: return "host name not found"
        case let error as ChannelError:
            if case .connectTimeout = error { return "no answer to the connection attempt" }
            return String(describing: error)
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "no answer to the connection attempt"
            case .tlsHandshakeTimeout: return "TLS handshake timed out"
            case .remoteConnectionClosed: return "the provider closed the connection"
            default: return String(describing: error)
            }
        default: return String(describing: error)
        }
    }

    static func errnoText(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "timed out"
        case EPIPE: return "connection closed"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
