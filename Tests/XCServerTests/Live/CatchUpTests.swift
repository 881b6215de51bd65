import FixtureProvider
import Foundation
import NIOCore
import Sync
import Testing
import XCModels
@testable import XCServerKit

/// Catch-up over real HTTP: each of the three request forms lands on the provider's `/timeshift/…` of a
/// relation with an archive, START converted from the server's zone to the provider's, bytes exact.
@Suite struct CatchUpTests {
    @Test func skipsToTheFirstTSPacketWhateverTheChunks() {
        let garbage = Array("<b>Warning</b>: headers already sent\n".utf8)
        var packets: [UInt8] = []
        for n in 0..<5 { packets += [0x47] + Array(repeating: UInt8(n), count: 187) }
        for chunk in [1, 7, 188, 5000] {
            var skipper = TSSyncSkipper()
            var out: [UInt8] = []
            let all = garbage + packets
            for start in stride(from: 0, to: all.count, by: chunk) {
                out += skipper.feed(ByteBuffer(bytes: all[start..<min(all.count, start + chunk)])).readableBytesView
            }
            out += skipper.finish().readableBytesView
            #expect(out == packets, "chunk \(chunk)")
            #expect(skipper.skipped == garbage.count)
        }
        var plain = TSSyncSkipper()
        #expect(Array(plain.feed(ByteBuffer(bytes: [1, 2, 3])).readableBytesView).isEmpty)
        #expect(Array(plain.finish().readableBytesView) == [1, 2, 3], "a short non-TS answer passes as it is")
    }

    @Test func aTimeshiftPathGoesToTheArchiveAccountInItsZoneWithExactBytes() async throws {
        let fixture = try LiveFixture()
        try await TestEnvironment.with(accounts: fixture.accounts) { env in
            // ITV 1: alpha keeps no archive, beta does (New York, with a PHP warning before the packets).
            let reply = try await env.request("/timeshift/\(env.credentialsPath)/60/2026-12-01:20-00/3005.ts")
            #expect(reply.status == 200)
            let recorded = try #require(env.provider.stats(for: "beta").streamRequests.last)
            #expect(recorded.kind == "timeshift" && recorded.streamID == 7002)
            #expect(recorded.timeshiftStart == "2026-12-01:15-00", "20:00 UTC is 15:00 in New York")
            let garbage = fixture.beta.live.timeshiftGarbage.count
            let full = FixtureProvider.timeshiftBytes(account: fixture.beta, streamID: 7002, start: "2026-12-01:15-00",
                                                      range: 0..<(garbage + fixture.beta.live.timeshiftSize))
            #expect(reply.body == Array(full[garbage...]), "the warning is skipped, the packets pass byte for byte")
            #expect(reply.body.first == 0x47)

            let ranged = try await env.request("/timeshift/\(env.credentialsPath)/60/2026-12-01:20-00/3005.ts",
                                               headers: [("Range", "bytes=1000-1999")])
            #expect(ranged.status == 206)
            #expect(ranged.body == Array(full[1000..<2000]), "a Range passes through as the provider counts it")

            #expect(try await env.request("/timeshift/\(env.credentialsPath)/60/2026-12-01:20-00/3003.ts").status == 404,
                    "Channel 4 keeps no archive anywhere")
            #expect(try await env.request("/timeshift/\(env.credentialsPath)/60/garbage/3005.ts").status == 404)
            #expect(try await env.request("/timeshift/nobody/wrong/60/2026-12-01:20-00/3005.ts").status == 401)
        }
    }

    @Test func theQueryFormAndTheUTCFormReadTheServersZone() async throws {
        let fixture = try LiveFixture()
        var config = ServerConfig()
        config.timeZone = TimeZone(identifier: "Europe/Paris")!
        try await TestEnvironment.with(accounts: fixture.accounts, config: config) { env in
            let user = ProviderClient.percentEncode(TestEnvironment.userName)
            let pass = ProviderClient.percentEncode(TestEnvironment.userPassword)
            // BBC One HD: alpha (Berlin) keeps 7 days. 21:00 in Paris is 21:00 in Berlin.
            let reply = try await env.request("/streaming/timeshift.php?username=\(user)&password=\(pass)&stream=3001&start=2026-12-01:21-00&duration=30")
            #expect(reply.status == 200)
            var recorded = try #require(env.provider.stats(for: "alpha").streamRequests.last)
            #expect(recorded.streamID == 3001 && recorded.timeshiftStart == "2026-12-01:21-00")
            #expect(reply.body == FixtureProvider.timeshiftBytes(account: fixture.alpha, streamID: 3001, start: "2026-12-01:21-00",
                                                                 range: 0..<fixture.alpha.live.timeshiftSize))

            // TiviMate's M3U form: epoch seconds, whatever the zone. 1796151600 is 19:00 UTC, 20:00 in Berlin.
            let utc = try await env.request("/live/\(env.credentialsPath)/3001.ts?utc=1796151600&lutc=1796155200")
            #expect(utc.status == 200)
            recorded = try #require(env.provider.stats(for: "alpha").streamRequests.last)
            #expect(recorded.timeshiftStart == "2026-12-01:20-00")
            #expect(try await env.request("/live/\(env.credentialsPath)/3001.ts", method: .HEAD).status == 200,
                    "without utc the same URL is the live channel")
        }
    }
}
