import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Reads one channel's upstream into its `LiveFanout`, reopening it when it ends, fails or stalls.
///
/// The shell around `LiveReconnect`: it owns the clock (stall detection) and the I/O (`open`), and
/// nothing else. A stall is no byte for `stallTimeout`: the read is cancelled, which closes the upstream
/// socket, and the channel is reopened like any other loss. Viewers stay connected throughout; when the
/// reader gives up, or is cancelled because the last viewer left, the fan-out is finished.
/// docs/live-streaming.md, "Reconnect and failover".
struct LiveReader: Sendable {
    enum Outcome: Sendable, Equatable {
        /// The reader's task was cancelled (the channel closed).
        case cancelled
        /// Every attempt failed.
        case gaveUp(attempts: Int)
    }

    /// Why one upstream connection ended.
    enum Loss: Sendable, Equatable {
        case ended
        case stalled
        case failed(String)
        /// The relation could not be opened (its account is full, or it refused).
        case refused(String)
    }

    var stallTimeout: Duration
    /// How long a connection must deliver before earlier losses are forgotten.
    var healthyAfter: Duration
    var policy: LiveReconnect.Policy
    var logger: Logger
    /// Wait before reopening, times the attempt number: the lost connection is surely closed before the
    /// next opens (a provider counting sockets sees one), and a dead provider gets no burst of requests.
    var pause: Duration = .zero

    /// Runs until cancelled or out of attempts. `open(relation)` opens relation `relation` of the channel (0 is
    /// the one admitted first); it throws `LiveReader.Refused` when that relation cannot be used now.
    /// `lost` reports every loss (for logs and metrics) with the relation it happened on.
    func run<Body: AsyncSequence & Sendable>(
        into fanout: LiveFanout, relations: Int, open: @Sendable (Int) async throws -> Body,
        lost: @Sendable (Int, Loss) -> Void = { _, _ in }
    ) async -> Outcome where Body.Element == ByteBuffer {
        defer { fanout.finish() }
        var reconnect = LiveReconnect(policy: policy, relations: relations)
        var relation = 0
        while !Task.isCancelled {
            let loss = await readOnce(relation: relation, into: fanout, open: open, reconnect: &reconnect)
            if Task.isCancelled { return .cancelled }
            lost(relation, loss)
            var refused = false
            if case .refused = loss { refused = true }
            switch reconnect.lost(refused: refused) {
            case .giveUp: return .gaveUp(attempts: reconnect.attempts)
            case .reopen(let next, let attempt):
                relation = next
                if pause > .zero { try? await Task.sleep(for: pause * attempt) }
            }
        }
        return .cancelled
    }

    struct Refused: Error, Sendable { var reason: String }

    private func readOnce<Body: AsyncSequence & Sendable>(
        relation: Int, into fanout: LiveFanout, open: @Sendable (Int) async throws -> Body,
        reconnect: inout LiveReconnect
    ) async -> Loss where Body.Element == ByteBuffer {
        let body: Body
        do {
            body = try await open(relation)
        } catch let refused as Refused {
            return .refused(refused.reason)
        } catch {
            return .failed("\(error)")
        }
        let lastByte = NIOLockedValueBox(ContinuousClock.now)
        let opened = ContinuousClock.now
        let stallTimeout = stallTimeout
        let (loss, delivered) = await withTaskGroup(of: (Loss, Bool)?.self) { group in
            group.addTask {
                var delivered = false
                do {
                    for try await chunk in body {
                        fanout.append(chunk)
                        lastByte.withLockedValue { $0 = .now }
                        delivered = true
                    }
                    return (.ended, delivered)
                } catch is CancellationError {
                    return (.stalled, delivered)
                } catch {
                    return (.failed("\(error)"), delivered)
                }
            }
            group.addTask {
                // The watchdog: ends the read when no byte came for `stallTimeout`.
                while !Task.isCancelled {
                    try? await Task.sleep(for: stallTimeout / 4)
                    if ContinuousClock.now - lastByte.withLockedValue({ $0 }) > stallTimeout { return nil }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            // The watchdog fired: the read child ends with the cancellation.
            let read = await group.next() ?? nil
            return (Loss.stalled, read?.1 ?? false)
        }
        if delivered, ContinuousClock.now - opened >= healthyAfter { reconnect.healthy() }
        return loss
    }
}
