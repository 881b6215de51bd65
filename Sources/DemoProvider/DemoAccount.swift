import Foundation
import NIOCore

/// One account of the demo's panel: credentials, a catalog, its guide, and every film and episode
/// streaming one of the two real sample videos compiled into the binary (``DemoMedia``).
public struct DemoAccount: Sendable, ProviderAccount {
    public var username: String
    public var password: String
    /// Reported as `user_info.max_connections` (the demo panel does not enforce it).
    public var maxConnections: Int
    public var catalog: FixtureCatalog
    /// The guide this account serves (``FixtureLive``).
    public var live = FixtureLive()
    /// How its live channels answer `.m3u8` requests (``FixtureHLS``).
    public var hls = FixtureHLS()

    public init(username: String, password: String, maxConnections: Int = 1, catalog: FixtureCatalog = .empty) {
        self.username = username
        self.password = password
        self.maxConnections = maxConnections
        self.catalog = catalog
    }

    public func size(of streamID: Int, ext: String = "mkv") -> Int { DemoMedia.sample(ext: ext).readableBytes }

    package func source(of streamID: Int, ext: String) -> any MediaSource { MemoryMedia(DemoMedia.sample(ext: ext)) }

    /// Password of the `alpha` account: it needs percent-encoding in query strings and paths.
    public static let alphaPassword = "a+b&c/d e"
    public static let betaPassword = "beta-pass"

    /// The embedded `fixtures/alpha` account: user `alpha`, password `a+b&c/d e`, max_connections 1
    /// (fixtures/README.md).
    public static func alpha() throws -> DemoAccount {
        var account = DemoAccount(username: "alpha", password: alphaPassword, maxConnections: 1, catalog: try .embedded("alpha"))
        account.live.extraChannels = []
        return account
    }

    /// The embedded `fixtures/beta` account: user `beta`, password `beta-pass`, max_connections 2.
    public static func beta() throws -> DemoAccount {
        var account = DemoAccount(username: "beta", password: betaPassword, maxConnections: 2, catalog: try .embedded("beta"))
        account.live.extraChannels = []
        return account
    }
}

/// The demo's playable media: `fixtures/media/demo.mp4` for `.mp4`/`.m4v` requests, `fixtures/media/demo.mkv`
/// for any other extension (players recognise the format from the bytes). Both are 6 s of H.264 + AAC
/// compiled into the binary.
package enum DemoMedia {
    static let mkv = ByteBuffer(bytes: EmbeddedFixtures.files["media/demo.mkv"] ?? [])
    static let mp4 = ByteBuffer(bytes: EmbeddedFixtures.files["media/demo.mp4"] ?? [])

    /// The sample file a `.ext` request gets.
    package static func sample(ext: String) -> ByteBuffer {
        ["mp4", "m4v"].contains(ext.lowercased()) ? mp4 : mkv
    }
}
