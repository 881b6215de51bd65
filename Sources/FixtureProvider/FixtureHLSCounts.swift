import NIOConcurrencyHelpers

/// What the provider's HLS paths have been asked, for tests: per account and channel, playlist fetches and
/// fetches of each segment (counted through the `fetchedHLS` hook).
final class FixtureHLSBook: Sendable {
    struct Key: Hashable {
        var username: String
        var channel: Int
    }

    struct Counts {
        var playlists = 0
        var segments: [Int: Int] = [:]
    }

    private let counts = NIOLockedValueBox<[Key: Counts]>([:])

    func countPlaylist(_ key: Key) { counts.withLockedValue { $0[key, default: Counts()].playlists += 1 } }
    func countSegment(_ key: Key, _ sequence: Int) { counts.withLockedValue { $0[key, default: Counts()].segments[sequence, default: 0] += 1 } }
    func counts(_ key: Key) -> Counts { counts.withLockedValue { $0[key] ?? Counts() } }
}

extension FixtureProvider {
    /// How often each segment of `channel` was fetched (GET) from `username`'s HLS paths, by media sequence number.
    public func hlsSegmentFetches(username: String, channel: Int) -> [Int: Int] {
        core.hls.counts(.init(username: username, channel: channel)).segments
    }

    /// How many playlists (master and media) of `channel` were fetched (GET) from `username`.
    public func hlsPlaylistFetches(username: String, channel: Int) -> Int {
        core.hls.counts(.init(username: username, channel: channel)).playlists
    }
}
