import AsyncHTTPClient
import FixtureProvider
import Testing
@testable import XCServerKit

@Suite struct ClientAddressTests {
    @Test func forwardedForCountsOnlyFromTrustedProxies() {
        let resolver = ClientAddress(trustedProxies: ["127.0.0.1", "10.9.9.9"])
        #expect(resolver.resolve(peer: "127.0.0.1", forwardedFor: "203.0.113.7") == "203.0.113.7")
        #expect(resolver.resolve(peer: "127.0.0.1", forwardedFor: "198.51.100.1, 203.0.113.7, 10.9.9.9") == "203.0.113.7")
        #expect(resolver.resolve(peer: "127.0.0.2", forwardedFor: "203.0.113.7") == "127.0.0.2", "an untrusted peer cannot claim an address")
        #expect(resolver.resolve(peer: "127.0.0.1", forwardedFor: nil) == "127.0.0.1")
        #expect(resolver.resolve(peer: "127.0.0.1", forwardedFor: " , ") == "127.0.0.1")
    }

    /// Two devices behind one reverse proxy are two viewers; without the proxy configured as trusted,
    /// the header is ignored and both requests are one viewer.
    @Test func viewerKeysUseTheForwardedAddressBehindATrustedProxy() async throws {
        for trusted in [true, false] {
            var config = ServerConfig()
            if trusted { config.trustedProxies = ["127.0.0.1"] }
            try await TestEnvironment.with(config: config) { env in
                env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "alpha")
                let path = "/movie/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/10007.mkv"
                var first = HTTPClientRequest(url: env.baseURL + path)
                first.headers.add(name: "X-Forwarded-For", value: "192.0.2.10")
                let watching = try await HTTPClient.shared.execute(first, timeout: .seconds(10))
                #expect(watching.status == .ok)
                let other = try await env.request(path, headers: [("X-Forwarded-For", "192.0.2.11"), ("Range", "bytes=0-9")])
                #expect(other.status == (trusted ? 503 : 206), "trusted proxy: \(trusted)")
                for try await _ in watching.body {}
            }
        }
    }
}
