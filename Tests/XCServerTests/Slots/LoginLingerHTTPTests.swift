import AsyncHTTPClient
import FixtureProvider
import Foundation
import Testing
@testable import XCServerKit

/// docs/slots.md, "A login's own linger", over real HTTP against the fixture provider: two devices of one
/// login behind a trusted reverse proxy (told apart by `X-Forwarded-For`).
@Suite struct LoginLingerHTTPTests {
    static let deviceA = "192.0.2.10"
    static let deviceB = "192.0.2.11"

    func path(_ kind: String, _ id: Int) -> String {
        "/\(kind)/\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))/\(id).mkv"
    }

    /// Device A's film: slot keys hold the internal content id, not the public one.
    func isFilm(_ slot: SlotSnapshot.Slot) -> Bool { slot.viewer.kind == .movie && slot.viewer.clientIP == Self.deviceA }

    /// Issue 8: device A moves from film 10007 (alpha, one connection) to episode 11001, which plays from
    /// beta because the film still lingers on alpha. The login (max 2) now shows 2 of 2 only because of its
    /// own linger; device B must still get film 20008 instead of a 403 for the grace period.
    @Test func aLoginsOwnLingerDoesNotBlockItsOtherDevice() async throws {
        var config = ServerConfig()
        config.trustedProxies = ["127.0.0.1"]
        try await TestEnvironment.with(config: config) { env in
            let film = try await env.request(path("movie", 10007), headers: [("X-Forwarded-For", Self.deviceA), ("Range", "bytes=0-99")])
            #expect(film.status == 206)
            // The film's lease ends just after its body: wait (bounded) until its slot lingers.
            for _ in 0..<250 {
                if await env.services.slots.snapshot().slots.contains(where: { isFilm($0) && $0.lingering }) { break }
                try await Task.sleep(for: .milliseconds(20))
            }

            env.provider.setFaults(FixtureFaults(chunkDelay: .milliseconds(5)), for: "beta")
            var episodeRequest = HTTPClientRequest(url: env.baseURL + path("series", 11001))
            episodeRequest.headers.add(name: "X-Forwarded-For", value: Self.deviceA)
            let episode = try await HTTPClient.shared.execute(episodeRequest, timeout: .seconds(10))
            #expect(episode.status == .ok)
            let before = await env.services.slots.snapshot()
            #expect(before.slots.first { $0.viewer.kind == .episode }?.accountName == "beta", "alpha is held by the lingering film")
            #expect(before.slots.first(where: isFilm)?.lingering == true)
            #expect(before.users.map(\.load) == [2], "one login, at its max_connections 2")

            let other = try await env.request(path("movie", 20008), headers: [("X-Forwarded-For", Self.deviceB), ("Range", "bytes=0-9")])
            #expect(other.status == 206, "device B refused: \(other.status) \(other.text)")
            let after = await env.services.slots.snapshot()
            #expect(!after.slots.contains(where: isFilm), "the film's lingering slot ended for device B")
            #expect(after.slots.first { $0.viewer.clientIP == Self.deviceB }?.accountName == "beta")
            #expect(after.users.map(\.load) == [2])

            for try await _ in episode.body {}
            #expect(env.slotCore.invariantViolations().isEmpty)
        }
    }
}
