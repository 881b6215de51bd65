/// What a token in a rewritten playlist stands for: one upstream URL within one viewing.
struct HLSLink: Sendable, Hashable {
    var url: String
    var kind: HLSPlaylist.Link
    var viewer: ViewerKey
}

/// The HLS viewings running and the tokens their playlists handed out: a value with no lock and no clock.
///
/// An HLS player never keeps a connection open: it fetches a playlist, then segments, then the playlist
/// again every target duration. So a viewing has no end of its own; it ends when its player has asked for
/// nothing for `idleTargets` target durations (a player that stopped, or zapped away). Its tokens go
/// with it, and tokens also expire on their own (`HLSTokens`). docs/live-streaming.md, "HLS".
struct HLSSessionTable: Sendable {
    struct Policy: Sendable {
        /// Target durations without a request after which a viewing has ended.
        var idleTargets = 3
        /// The target duration assumed until a media playlist says (a master playlist does not).
        var defaultTarget: Duration = .seconds(6)
        /// Bounds on the target duration a provider may claim, so one odd playlist cannot hold a slot for
        /// minutes, nor end a viewing between two reloads.
        var targetRange: ClosedRange<Int> = 1...20
        var tokenTTL: Duration = .seconds(30)
        var tokenCapacity = 8192
    }

    struct Session: Sendable, Equatable {
        var lastUse: ContinuousClock.Instant
        var targetDuration: Duration
    }

    let policy: Policy
    private(set) var sessions: [ViewerKey: Session] = [:]
    private var tokens: HLSTokens<HLSLink>

    init(policy: Policy = Policy()) {
        self.policy = policy
        tokens = HLSTokens(ttl: policy.tokenTTL, capacity: policy.tokenCapacity)
    }

    /// Starts a viewing; false (and nothing changes but its last use) when it already runs.
    mutating func open(_ viewer: ViewerKey, now: ContinuousClock.Instant) -> Bool {
        if touch(viewer, now: now) { return false }
        sessions[viewer] = Session(lastUse: now, targetDuration: policy.defaultTarget)
        return true
    }

    /// A request of the viewing came in; false when it is not running (never started, or ended).
    mutating func touch(_ viewer: ViewerKey, now: ContinuousClock.Instant) -> Bool {
        guard sessions[viewer] != nil else { return false }
        sessions[viewer]?.lastUse = now
        return true
    }

    /// Records a media playlist's `EXT-X-TARGETDURATION` (clamped to `policy.targetRange`).
    mutating func setTargetDuration(_ viewer: ViewerKey, seconds: Int) {
        let clamped = min(max(seconds, policy.targetRange.lowerBound), policy.targetRange.upperBound)
        sessions[viewer]?.targetDuration = .seconds(clamped)
    }

    func targetDuration(_ viewer: ViewerKey) -> Duration {
        sessions[viewer]?.targetDuration ?? policy.defaultTarget
    }

    func idleLimit(_ session: Session) -> Duration { session.targetDuration * policy.idleTargets }

    /// The token for `link` (the same while it lives). Links of a viewing that is not running get none.
    mutating func token(for link: HLSLink, now: ContinuousClock.Instant, make: () -> String) -> String? {
        guard sessions[link.viewer] != nil else { return nil }
        return tokens.issue(link, now: now, make: make)
    }

    /// What `token` stands for, when it is alive and its viewing runs; the use touches both.
    mutating func resolve(_ token: String, now: ContinuousClock.Instant) -> HLSLink? {
        guard let link = tokens.resolve(token, now: now), touch(link.viewer, now: now) else { return nil }
        return link
    }

    /// Ends `viewer` and drops its tokens.
    mutating func end(_ viewer: ViewerKey) {
        sessions[viewer] = nil
        tokens.removeAll { $0.viewer == viewer }
    }

    /// Ends (and returns) the viewings idle past their limit at `now`; expired tokens go too.
    mutating func expire(now: ContinuousClock.Instant) -> [ViewerKey] {
        let ended = sessions.filter { now - $0.value.lastUse > idleLimit($0.value) }.map(\.key)
        for viewer in ended { end(viewer) }
        tokens.expire(now: now)
        return ended
    }

    /// The running viewings of one device of one login (what zapping on that device may end).
    func viewings(userID: Int64, clientIP: String) -> [ViewerKey] {
        sessions.keys.filter { $0.userID == userID && $0.clientIP == clientIP }
    }

    var tokenCount: Int { tokens.entries.count }
}
