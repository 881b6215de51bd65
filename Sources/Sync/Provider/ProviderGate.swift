import Foundation
import Synchronization

/// Bounds what xcserver asks of one provider account: at most `maxConcurrent` requests at once and at
/// most `ratePerSecond` started per second, whoever asks (sync, on-demand series info, lazy details).
///
/// Providers ban accounts that burst; one gate per account, shared by every caller, is what makes
/// "never get a user's account banned" hold by construction.
public final class ProviderGate: Sendable {
    private struct State {
        var active = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var nextStart = ContinuousClock.now
    }

    public let maxConcurrent: Int
    private let interval: Duration
    private let state = Mutex(State())

    public init(maxConcurrent: Int, ratePerSecond: Double) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.interval = ratePerSecond > 0 ? .seconds(1.0 / ratePerSecond) : .zero
    }

    /// Thrown by `run` when `proceed` said no once the request's turn came.
    public struct Withdrawn: Error, Sendable {}

    /// Runs `body` when the gate allows. `urgent` requests (a client waiting on the answer) go to the
    /// front of the queue but still respect the rate. `proceed` is asked when the request's turn comes,
    /// before it takes a place in the rate: a request that is no longer wanted (its account started
    /// failing while it waited) is dropped with `Withdrawn`, costing the provider nothing.
    public func run<T>(urgent: Bool = false, proceed: @Sendable () -> Bool = { true }, _ body: () async throws -> T) async throws -> T {
        await enter(urgent: urgent)
        defer { leave() }
        guard proceed() else { throw Withdrawn() }
        await waitForRate()
        try Task.checkCancellation()
        return try await body()
    }

    private func enter(urgent: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state in
                if state.active < maxConcurrent {
                    state.active += 1
                    return true
                }
                if urgent { state.waiters.insert(continuation, at: 0) } else { state.waiters.append(continuation) }
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func waitForRate() async {
        let start = state.withLock { state in
            let start = max(ContinuousClock.now, state.nextStart)
            state.nextStart = start + interval
            return start
        }
        if start > .now { try? await Task.sleep(until: start, clock: .continuous) }
    }

    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.active -= 1
                return nil
            }
            return state.waiters.removeFirst()   // the place passes straight to the next caller
        }
        next?.resume()
    }
}

/// One gate per account, created on first use.
public final class ProviderGates: Sendable {
    private let gates = Mutex<[Int64: ProviderGate]>([:])
    public let maxConcurrent: Int
    public let ratePerSecond: Double

    public init(maxConcurrent: Int = 4, ratePerSecond: Double = 5) {
        self.maxConcurrent = maxConcurrent
        self.ratePerSecond = ratePerSecond
    }

    public func gate(for accountID: Int64) -> ProviderGate {
        gates.withLock { gates in
            if let gate = gates[accountID] { return gate }
            let gate = ProviderGate(maxConcurrent: maxConcurrent, ratePerSecond: ratePerSecond)
            gates[accountID] = gate
            return gate
        }
    }
}
