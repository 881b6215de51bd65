import NIOCore
import NIOPosix

extension FixtureProvider {
    /// A loopback port nobody listens on now (bound and closed at once): where a test or the benchmark
    /// starts an `xcserver` child, or points an account that must not answer.
    public static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}
