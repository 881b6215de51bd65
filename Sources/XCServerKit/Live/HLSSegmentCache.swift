import NIOCore
import Synchronization

/// An upstream HLS answer (a playlist or a segment), whole.
struct HLSUpstreamBody: Sendable, Equatable {
    var bytes: ByteBuffer
    var contentType: String?
    /// The URL it came from after redirects: relative URIs in a playlist resolve against it.
    var url: String
}

/// Why an upstream HLS fetch gave nothing to pass on.
enum HLSUpstreamFailure: Error, Sendable, Equatable {
    /// Refused, unreachable or timed out before a head (or answered with a status that is not 200).
    case refused(FailoverReason)
    /// The answer was larger than a playlist or segment can be (the limit, in bytes).
    case tooLarge(Int)
    /// The connection ended in the middle of the body.
    case dropped
}

typealias HLSFetch = Result<HLSUpstreamBody, HLSUpstreamFailure>

/// Recent upstream HLS answers by URL under a byte budget, each until its own expiry: a value with no lock
/// and no clock. Segments are immutable, so while one is held every viewer of the channel gets it without
/// asking the provider again.
struct HLSSegmentStore {
    private struct Entry {
        var body: HLSUpstreamBody
        var expires: ContinuousClock.Instant
    }

    private var entries: ByteLRU<String, Entry>

    init(budget: Int) { entries = ByteLRU(budget: budget) }

    var bytes: Int { entries.cost }
    var count: Int { entries.count }

    /// The answer held for `url`, unless it expired (then it is dropped).
    mutating func get(_ url: String, now: ContinuousClock.Instant) -> HLSUpstreamBody? {
        guard let entry = entries.get(url) else { return nil }
        guard now < entry.expires else {
            entries.remove(url)
            return nil
        }
        return entry.body
    }

    /// Holds `body` until `expires`, evicting the least recently used answers to stay within the budget.
    mutating func put(_ url: String, _ body: HLSUpstreamBody, expires: ContinuousClock.Instant) {
        entries.set(url, Entry(body: body, expires: expires), cost: body.bytes.readableBytes)
    }
}

/// The shell around `HLSSegmentStore`: concurrent requests for one URL share one upstream fetch (the first
/// starts it, the others wait for it), and a successful answer is kept for `ttl`. Failures are not kept:
/// the next request asks again.
final class HLSSegmentCache: Sendable {
    private struct State {
        var store: HLSSegmentStore
        var inFlight: [String: Task<HLSFetch, Never>] = [:]
    }

    private let state: Mutex<State>

    init(budget: Int = 64 << 20) {
        state = Mutex(State(store: HLSSegmentStore(budget: budget)))
    }

    /// The answer for `url`: held, being fetched (joined), or fetched now by `load`. The fetch runs in its
    /// own task, so a client that goes away does not cancel it for the others.
    func fetch(_ url: String, ttl: Duration, load: @escaping @Sendable () async -> HLSFetch) async -> HLSFetch {
        let step: Step = state.withLock { state in
            if let held = state.store.get(url, now: .now) { return .held(held) }
            if let running = state.inFlight[url] { return .wait(running) }
            let task = Task { [self] in
                let result = await load()
                finish(url, result, ttl: ttl)
                return result
            }
            state.inFlight[url] = task
            return .wait(task)
        }
        switch step {
        case .held(let held): return .success(held)
        case .wait(let task): return await task.value
        }
    }

    private enum Step {
        case held(HLSUpstreamBody)
        case wait(Task<HLSFetch, Never>)
    }

    private func finish(_ url: String, _ result: HLSFetch, ttl: Duration) {
        state.withLock { state in
            state.inFlight[url] = nil
            if case .success(let body) = result { state.store.put(url, body, expires: .now + ttl) }
        }
    }

    /// Bytes held now (for tests and the log).
    var heldBytes: Int { state.withLock { $0.store.bytes } }
}
