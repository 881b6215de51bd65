import DemoProvider
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Shared mutable state of a running provider, behind one lock.
final class ProviderCore: Sendable {
    struct AccountState {
        var account: FixtureAccount
        var faults = FixtureFaults.none
        var dropsRemaining = 0
        var stats = FixtureStats()
        var openTitles: [TitleKey: Int] = [:]
        var sockets = SocketBook()
    }

    struct Lease {
        var username: String
        var title: TitleKey
    }

    struct State {
        var accounts: [String: AccountState] = [:]
        var leases: [UInt64: Lease] = [:]
        var nextLeaseID: UInt64 = 1
        var tokens: Set<String> = []
        var port = 0
    }

    let state: NIOLockedValueBox<State>
    let host: String
    let pathPrefix: String
    /// Every live channel this provider broadcasts (keyed by stream id, shared by its accounts).
    let live: LiveChannels
    /// HLS fetch counts (`FixtureHLSCounts.swift`).
    let hls = FixtureHLSBook()

    init(accounts: [FixtureAccount], host: String, pathPrefix: String, live: LiveChannels) {
        self.live = live
        var state = State()
        for account in accounts {
            precondition(state.accounts[account.username] == nil, "duplicate fixture account \(account.username)")
            state.accounts[account.username] = AccountState(account: account)
        }
        self.state = NIOLockedValueBox(state)
        self.host = host
        self.pathPrefix = pathPrefix
    }

    var port: Int { state.withLockedValue { $0.port } }

    func lookup(_ username: String) -> (FixtureAccount, FixtureFaults)? {
        state.withLockedValue { state in
            state.accounts[username].map { ($0.account, $0.faults) }
        }
    }

    func setFaults(_ faults: FixtureFaults, for username: String) {
        state.withLockedValue { state in
            guard state.accounts[username] != nil else { return }
            state.accounts[username]!.faults = faults
            state.accounts[username]!.dropsRemaining = faults.dropAfterBytes == nil ? 0 : max(0, faults.dropCount)
        }
    }

    // MARK: API accounting

    /// Counts an API request of a known account; returns false for an unknown username (nothing recorded).
    func beginAPI(username: String, action: String, parameters: [String: String]) -> Bool {
        state.withLockedValue { state in
            guard state.accounts[username] != nil else { return false }
            state.accounts[username]!.stats.apiRequests[action, default: 0] += 1
            state.accounts[username]!.stats.apiLog.append(
                FixtureAPIRequest(action: action, parameters: parameters, at: ContinuousClock.now))
            state.accounts[username]!.stats.openAPIRequests += 1
            let open = state.accounts[username]!.stats.openAPIRequests
            state.accounts[username]!.stats.maxOpenAPIRequests = max(state.accounts[username]!.stats.maxOpenAPIRequests, open)
            return true
        }
    }

    func endAPI(username: String) {
        state.withLockedValue { state in
            guard state.accounts[username] != nil else { return }
            state.accounts[username]!.stats.openAPIRequests -= 1
        }
    }

    // MARK: stream accounting

    func record(_ request: FixtureStreamRequest, username: String) {
        state.withLockedValue { state in
            state.accounts[username]?.stats.streamRequests.append(request)
        }
    }

    /// Atomically checks `enforceMaxConnections`, opens the title for a GET (the returned lease closes it)
    /// and decides whether this response is one the `dropAfterBytes` fault cuts.
    func admit(username: String, title: TitleKey, isGet: Bool, bodyLength: Int) -> StreamAdmission {
        let decision: (UInt64?, Int?)? = state.withLockedValue { state in
            guard var entry = state.accounts[username] else { return nil }
            defer { state.accounts[username] = entry }
            if entry.faults.enforceMaxConnections, entry.openTitles[title] == nil,
               entry.openTitles.count >= entry.account.maxConnections
            {
                return nil
            }
            guard isGet else { return (nil, nil) }
            var cut: Int?
            if let limit = entry.faults.dropAfterBytes, entry.dropsRemaining > 0, limit < bodyLength {
                entry.dropsRemaining -= 1
                entry.stats.droppedResponses += 1
                cut = max(0, limit)
            }
            let id = state.nextLeaseID
            state.nextLeaseID += 1
            state.leases[id] = Lease(username: username, title: title)
            entry.openTitles[title, default: 0] += 1
            entry.stats.openStreams += 1
            entry.stats.openTitles = entry.openTitles.count
            entry.stats.maxOpenStreams = max(entry.stats.maxOpenStreams, entry.stats.openStreams)
            entry.stats.maxOpenTitles = max(entry.stats.maxOpenTitles, entry.stats.openTitles)
            return (id, cut)
        }
        guard let decision else { return .refused }
        return .admitted(lease: decision.0.map { id in StreamLease { [self] in release(leaseID: id) } }, cutAfter: decision.1)
    }

    /// Idempotent: the first call for a lease closes it, later ones do nothing.
    func release(leaseID: UInt64) {
        state.withLockedValue { state in
            guard let lease = state.leases.removeValue(forKey: leaseID),
                  var entry = state.accounts[lease.username]
            else { return }
            if let count = entry.openTitles[lease.title], count > 1 {
                entry.openTitles[lease.title] = count - 1
            } else {
                entry.openTitles[lease.title] = nil
            }
            entry.stats.openStreams -= 1
            entry.stats.openTitles = entry.openTitles.count
            state.accounts[lease.username] = entry
        }
    }

    func addBytes(_ count: Int, username: String) {
        state.withLockedValue { state in
            state.accounts[username]?.stats.bytesServed += count
        }
    }

    func openTitleCount(_ username: String) -> Int {
        state.withLockedValue { $0.accounts[username]?.openTitles.count ?? 0 }
    }

    // MARK: load-balancer tokens

    func issueToken() -> String {
        let token = String(UInt64.random(in: 1 ... UInt64.max), radix: 36)
        state.withLockedValue { _ = $0.tokens.insert(token) }
        return token
    }

    func isValidToken(_ token: String) -> Bool {
        state.withLockedValue { $0.tokens.contains(token) }
    }
}
