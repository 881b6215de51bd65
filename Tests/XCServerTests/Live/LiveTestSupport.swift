import FixtureProvider
import NIOCore
import NIOPosix
import Foundation
import Sync
import XCModels
@testable import XCServerKit

/// The two fixture accounts with their guides anchored at a known instant (4 days before the current
/// hour), so a test can compute every programme the provider serves.
struct LiveFixture {
    let anchor: Int64
    let now = Int64(Date().timeIntervalSince1970)
    let accounts: [TestEnvironment.ProviderAccount]

    init() throws {
        let now = Int64(Date().timeIntervalSince1970)
        anchor = now - now % 3600 - 4 * 86400
        var accounts = try TestEnvironment.fixtureAccounts()
        for index in accounts.indices { accounts[index].fixture.live.anchor = anchor }
        self.accounts = accounts
    }

    var alpha: FixtureAccount { accounts[0].fixture }
    var beta: FixtureAccount { accounts[1].fixture }

    /// The programmes `account`'s guide lists for `channel`, with UTC times.
    func programmes(_ account: FixtureAccount, _ channel: String) -> [(start: Int64, stop: Int64, title: String, description: String)] {
        (0..<account.live.programmesPerChannel).map { account.live.programme(channel: channel, index: $0, anchor: anchor) }
    }
}

extension TestEnvironment {
    /// `get_live_streams` items by name.
    func liveByName() async throws -> [String: ProviderValue] {
        var result: [String: ProviderValue] = [:]
        for item in try await api("action=get_live_streams").items { result[item["name"].string ?? "?"] = item }
        return result
    }

    var credentialsPath: String {
        "\(PlaylistController.pathEncode(TestEnvironment.userName))/\(PlaylistController.pathEncode(TestEnvironment.userPassword))"
    }
}

/// Decodes a base64 field of a guide answer.
func base64Text(_ value: ProviderValue) -> String? {
    value.string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
}

/// A live viewer that asks for a stream and then reads nothing: its socket's receive buffer is small and
/// never drained, so xcserver's writes to it block as a stalled TV's would.
final class StuckReader: Sendable {
    let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    static func open(port: Int, sourceIP: String, path: String) async throws -> StuckReader {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4096)
            .bind(to: try SocketAddress(ipAddress: sourceIP, port: 0))
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: xcserver-tests/stuck\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        return StuckReader(channel: channel)
    }

    func close() { channel.close(promise: nil) }
}
