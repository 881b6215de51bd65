import FixtureProvider
import Foundation
import Testing
import XCModels
@testable import XCServerKit

/// What `get_live_streams` shows of a channel is its preferred relation's, copied onto the channel row
/// when the preferred relation is chosen (`ServedChannel`): the copy follows every choice and every
/// provider change at once, and an upgraded database lists its channels without a sync.
@Suite struct ServedChannelTests {
    @Test func theListShowsThePreferredCopyAfterAnAccountSwitchAndAProviderRename() async throws {
        try await TestEnvironment.with { env in
            let alphaCopy = try #require(try await env.liveByName()["UK: BBC One HD"])
            #expect(alphaCopy["epg_channel_id"].string == "bbc1.uk")
            #expect(alphaCopy["stream_icon"].string == "http://img.example/bbc1.png")
            #expect(alphaCopy["added"].int == 1_700_000_000)

            var alpha = try #require(try await env.store.account(named: "alpha"))
            alpha.enabled = false
            try await env.store.updateAccount(alpha)
            let betaCopy = try #require(try await env.liveByName()["|UK| BBC ONE HD"], "beta's copy is preferred now")
            #expect(betaCopy["epg_channel_id"].string == "BBC1.uk")
            #expect(betaCopy["stream_icon"].string == "http://img.example/beta-bbc1.png")
            #expect(betaCopy["added"].int == 1_710_000_000)
            #expect(betaCopy["stream_id"].int == alphaCopy["stream_id"].int, "the channel keeps its id")

            alpha.enabled = true
            try await env.store.updateAccount(alpha)
            try env.provider.editList("alpha", file: "get_live_streams.json") { items in
                items.map { item in
                    guard item["stream_id"].int == 3001, case .object(var fields) = item else { return item }
                    fields["name"] = .string("UK: BBC One London HD")
                    fields["stream_icon"] = .string("http://img.example/bbc1-london.png")
                    return .object(fields)
                }
            }
            let report = try await env.services.sync.run()
            #expect(!report.failed, "\(report.text)")
            let list = try await env.api("action=get_live_streams").items
            #expect(list.first?["name"].string == "UK: BBC One London HD", "renamed by its provider, first as before")
            #expect(list.first?["stream_icon"].string == "http://img.example/bbc1-london.png")
            #expect(list.first?["stream_id"].int == 3001)
        }
    }
}
