import Foundation
import Hummingbird
import NIOCore

/// Runs the HTTP server of `serve` and `demo`: `announce` runs once the listener is bound (never
/// before, so "up" is only printed when it is true), with the port actually bound; a failed bind
/// ends the command with a sentence saying what to change instead of NIO's `bind(...)` error.
public enum Listen {
    public static func run(_ services: AppServices, announce: @escaping @Sendable (_ port: Int) -> Void) async throws {
        let config = services.config
        do {
            try await buildApplication(services: services) { channel in
                announce(channel.localAddress?.port ?? config.port)
            }.runService()
        } catch let error as IOError {
            throw ListenError(error, host: config.host, port: config.port) ?? error
        }
    }
}

/// Why the listener could not be bound, worded for the person who typed `--host`/`--port`.
public enum ListenError: Error, Equatable, CustomStringConvertible {
    case portInUse(Int)
    case privilegedPort(Int)
    case addressNotHere(String)

    init?(_ error: IOError, host: String, port: Int) {
        switch error.errnoCode {
        case EADDRINUSE: self = .portInUse(port)
        case EACCES: self = .privilegedPort(port)
        case EADDRNOTAVAIL: self = .addressNotHere(host)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .portInUse(let port): return "port \(port) is in use (another xcserver?); choose one with --port"
        case .privilegedPort(let port): return "port \(port) needs root (ports below 1024 are privileged); choose one above 1023 with --port"
        case .addressNotHere(let host): return "\(host) is not an address of this machine; choose one with --host (0.0.0.0 listens on all)"
        }
    }
}
