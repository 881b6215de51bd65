import Logging
import Sync
import Synchronization

/// The shell around `FetchBackoff`: one per server, shared by every lazy fetcher (on-demand episodes,
/// background movie details), holding the memory under a lock and writing its events as log lines.
///
/// A client request never waits on a provider that has just failed: the fetch is not made and the
/// caller answers from the store. The log gets one line when an item or an account starts failing and
/// one when it recovers, never one per client request.
final class FetchGuard: Sendable {
    enum Outcome: Sendable, Equatable {
        /// Not asked: backing off, breaker open, or withdrawn before it was sent.
        case skipped
        case succeeded
        case failed
    }

    let policy: FetchBackoffPolicy
    private let memory: Mutex<FetchBackoff>
    private let logger: Logger

    init(policy: FetchBackoffPolicy, logger: Logger) {
        self.policy = policy
        self.memory = Mutex(FetchBackoff(policy: policy))
        self.logger = logger
    }

    /// Leave to fetch `key` once: nil when the memory says no (backing off, breaker open), and the
    /// caller answers from the store.
    struct Ticket: Sendable {
        let key: FetchKey
        let probe: Bool
    }

    func admit(_ key: FetchKey) -> Ticket? {
        let decision = memory.withLock { $0.decide(key, now: .now) }
        return decision.admitted ? Ticket(key: key, probe: decision == .probe) : nil
    }

    /// Makes the admitted fetch and records how it went. `fetch` gets the check to hand to the account's
    /// gate (`ProviderGate.run(proceed:)`), so a fetch still queued there when the breaker opens is
    /// withdrawn instead of sent; it returns false when it did not need the provider after all.
    func run(
        _ ticket: Ticket, accountName: String,
        _ fetch: (_ proceed: @escaping @Sendable () -> Bool) async throws -> Bool
    ) async -> Outcome {
        let (key, probe) = (ticket.key, ticket.probe)
        let asked: Bool
        do {
            asked = try await fetch { self.memory.withLock { $0.stillWanted(key, probe: probe) } }
        } catch is ProviderGate.Withdrawn {
            return .skipped
        } catch let error where error is CancellationError {
            asked = false
        } catch {
            log(memory.withLock { $0.finished(key, succeeded: false, probe: probe, now: .now) }, accountName: accountName, error: error)
            return .failed
        }
        guard asked else {
            if probe { memory.withLock { $0.probeWithdrawn(accountID: key.accountID) } }
            return .skipped
        }
        log(memory.withLock { $0.finished(key, succeeded: true, probe: probe, now: .now) }, accountName: accountName, error: nil)
        return .succeeded
    }

    func breakerIsOpen(accountID: Int64) -> Bool {
        memory.withLock { $0.breakerIsOpen(accountID: accountID) }
    }

    private func log(_ events: [FetchBackoff.Event], accountName: String, error: (any Error)?) {
        let why = error.map { String(describing: $0) } ?? ""
        for event in events {
            switch event {
            case .itemFailing(let key, let backoff):
                logger.warning("[api] \(accountName): \(key.text) failed: \(why); answering from the store, next try in \(Self.text(backoff))")
            case .itemStillFailing(let key, let failures, let backoff):
                logger.debug("[api] \(accountName): \(key.text) failed again (\(failures) in a row): \(why); next try in \(Self.text(backoff))")
            case .itemRecovered(let key, let failures, let skipped):
                logger.notice("[api] \(accountName): \(key.text) answers again after \(failures) failure\(failures == 1 ? "" : "s"); \(skipped) client request\(skipped == 1 ? " was" : "s were") answered from the store meanwhile")
            case .breakerOpened(_, let failures, let pause):
                logger.warning("[api] \(accountName): \(failures) provider fetches failed in a row (last: \(why)); asking this account nothing for \(Self.text(pause)), then one probe")
            case .probeFailed(_, let probes, let pause):
                logger.debug("[api] \(accountName): probe \(probes) failed: \(why); next probe in \(Self.text(pause))")
            case .breakerClosed(_, let skipped):
                logger.notice("[api] \(accountName): provider answers again; \(skipped) fetch\(skipped == 1 ? " was" : "es were") skipped while it was failing")
            }
        }
    }

    /// `30s`, `1h`, or milliseconds below a second (tests use short back-offs).
    static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds >= 1 && attoseconds == 0 { return DurationText.format(seconds: seconds) }
        return "\(Int(duration.inSeconds * 1000)) ms"
    }
}

extension FetchKey {
    /// `get_series_info series_id=501`: the provider call, without credentials.
    var text: String {
        switch kind {
        case .episodes: return "get_series_info series_id=\(item)"
        case .vodInfo: return "get_vod_info vod_id=\(item)"
        }
    }
}
