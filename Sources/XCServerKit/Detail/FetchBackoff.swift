/// Which lazy provider fetch a failure belongs to. One memory serves every kind: a breaker opened by
/// failing episode fetches also stops detail fetches from that account (and later the guide and live
/// opens, as new cases here).
enum FetchKind: Sendable, Hashable {
    case episodes
    case vodInfo
}

/// One thing fetched from one account: `item` is the provider's id (series id, stream id).
struct FetchKey: Sendable, Hashable {
    var accountID: Int64
    var kind: FetchKind
    var item: Int64
}

/// The tunables of `FetchBackoff` (`ServerConfig.fetchBackoff`).
struct FetchBackoffPolicy: Sendable, Equatable {
    /// How long a failed item is left alone after its first failure; doubles with each further one.
    var firstBackoff: Duration = .seconds(30)
    var maxBackoff: Duration = .seconds(3600)
    /// Failures in a row, of any kind, after which an account's breaker opens.
    var breakerThreshold = 5
    /// How long one lazy fetch may take before it counts as failed (a hanging provider).
    var timeout: Duration = .seconds(30)

    /// The pause after the `failures`-th failure in a row: first, 2×first, 4×first… up to the maximum.
    func backoff(afterFailures failures: Int) -> Duration {
        var pause = firstBackoff
        for _ in 1..<max(1, failures) where pause < maxBackoff { pause *= 2 }
        return min(pause, maxBackoff)
    }
}

/// What xcserver remembers of failed provider fetches, so that a burst of clients never becomes a
/// burst of requests to a provider that is failing.
///
/// Per (account, kind, item): after a failure the item is not asked again before its back-off has
/// passed (`policy.backoff`), whatever the clients do. Per account: after `breakerThreshold` failures in
/// a row of any kind, the breaker opens and nothing is asked of the account until its pause has passed;
/// then one fetch goes out as a probe. The probe's success closes the breaker; its failure reopens it
/// for a doubled pause. Successes forget an item.
///
/// A pure value: time comes in as an argument, no clock, no lock (`FetchGuard` is the shell that holds
/// it). `decide`/`finished` return the events worth one log line each: an item or an account starting
/// to fail and recovering, with what was skipped meanwhile.
struct FetchBackoff: Sendable {
    typealias Instant = ContinuousClock.Instant

    enum Decision: Sendable, Equatable {
        /// Ask the provider; report the outcome with `finished`.
        case fetch
        /// Ask the provider as the breaker's probe; report with `finished(…, probe: true)`.
        case probe
        /// This item failed recently: answer from the store.
        case backingOff(until: Instant)
        /// The account's breaker is open: answer from the store.
        case breakerOpen(until: Instant)

        var admitted: Bool { self == .fetch || self == .probe }
    }

    enum Event: Sendable, Equatable {
        /// The item's first failure (`backoff`: until it is asked again).
        case itemFailing(FetchKey, backoff: Duration)
        /// A retry after the back-off failed again (debug detail, not a new event for the reader).
        case itemStillFailing(FetchKey, failures: Int, backoff: Duration)
        /// The item succeeded after `failures` failures; `skipped` client requests were answered from
        /// the store meanwhile.
        case itemRecovered(FetchKey, failures: Int, skipped: Int)
        case breakerOpened(accountID: Int64, failures: Int, pause: Duration)
        /// A probe failed: the breaker stays open for `pause` (debug detail).
        case probeFailed(accountID: Int64, probes: Int, pause: Duration)
        /// A fetch succeeded while the breaker was open; `skipped` fetches were not made meanwhile.
        case breakerClosed(accountID: Int64, skipped: Int)
    }

    private struct ItemState {
        var failures = 0
        var retryAt: Instant
        var skipped = 0
    }

    private struct AccountState {
        var failuresInRow = 0
        var openUntil: Instant?
        var failedProbes = 0
        var probing = false
        var skipped = 0
    }

    let policy: FetchBackoffPolicy
    private var items: [FetchKey: ItemState] = [:]
    private var accounts: [Int64: AccountState] = [:]

    init(policy: FetchBackoffPolicy = FetchBackoffPolicy()) {
        self.policy = policy
    }

    /// Whether a client's request may make the provider request `key`, counting the ones it refuses.
    mutating func decide(_ key: FetchKey, now: Instant) -> Decision {
        if let item = items[key], now < item.retryAt {
            items[key]!.skipped += 1
            if let until = accounts[key.accountID]?.openUntil, now < until { accounts[key.accountID]!.skipped += 1 }
            return .backingOff(until: item.retryAt)
        }
        guard var account = accounts[key.accountID], let openUntil = account.openUntil else { return .fetch }
        if now < openUntil || account.probing {
            account.skipped += 1
            accounts[key.accountID] = account
            return .breakerOpen(until: openUntil)
        }
        account.probing = true
        accounts[key.accountID] = account
        return .probe
    }

    /// Whether an admitted fetch that waited (in the account's queue) should still go out: not when the
    /// breaker opened meanwhile. A fetch withdrawn here must not report to `finished`.
    mutating func stillWanted(_ key: FetchKey, probe: Bool) -> Bool {
        guard !probe, accounts[key.accountID]?.openUntil != nil else { return true }
        accounts[key.accountID]!.skipped += 1
        return false
    }

    /// Records the outcome of an admitted fetch.
    mutating func finished(_ key: FetchKey, succeeded: Bool, probe: Bool, now: Instant) -> [Event] {
        var events: [Event] = []
        var account = accounts[key.accountID] ?? AccountState()
        if succeeded {
            if let item = items.removeValue(forKey: key) {
                events.append(.itemRecovered(key, failures: item.failures, skipped: item.skipped))
            }
            if account.openUntil != nil {
                events.append(.breakerClosed(accountID: key.accountID, skipped: account.skipped))
            }
            accounts[key.accountID] = nil
            return events
        }
        var item = items[key] ?? ItemState(retryAt: now)
        item.failures += 1
        let backoff = policy.backoff(afterFailures: item.failures)
        item.retryAt = now + backoff
        items[key] = item
        let breakerOpen = account.openUntil != nil
        if item.failures == 1 && !breakerOpen {
            events.append(.itemFailing(key, backoff: backoff))
        } else {
            events.append(.itemStillFailing(key, failures: item.failures, backoff: backoff))
        }
        if probe {
            account.failedProbes += 1
            account.probing = false
            let pause = policy.backoff(afterFailures: account.failedProbes + 1)
            account.openUntil = now + pause
            events.append(.probeFailed(accountID: key.accountID, probes: account.failedProbes, pause: pause))
        } else if !breakerOpen {
            account.failuresInRow += 1
            if account.failuresInRow >= policy.breakerThreshold {
                account.openUntil = now + policy.firstBackoff
                events.append(.breakerOpened(accountID: key.accountID, failures: account.failuresInRow, pause: policy.firstBackoff))
            }
        }
        accounts[key.accountID] = account
        return events
    }

    /// A probe withdrawn before it reached the provider (cancelled): the next request may probe.
    mutating func probeWithdrawn(accountID: Int64) {
        accounts[accountID]?.probing = false
    }

    /// Whether the account's breaker is open: opened and not yet closed by a successful fetch (its pause
    /// may have passed, with a probe due).
    func breakerIsOpen(accountID: Int64) -> Bool {
        accounts[accountID]?.openUntil != nil
    }
}
