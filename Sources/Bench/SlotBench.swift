import Dispatch
import Logging
import Sync
import XCServerKit

/// The slot-decision figures of the streaming part: the slot core's decisions in this process, no HTTP.
extension StreamBench {
    // MARK: 4. slot decisions

    /// `InProcessSlotCore.acquireNow` + `release`, in this process, no HTTP. Two workloads: a returning viewer
    /// (grace 10 s, so every acquire reuses that viewer's lingering slot) and a new viewing every time (grace 0, so
    /// every acquire ends the expired slot and admits a new one: user limit, candidate order, account room).
    func slotDecisions() {
        var logger = Logger(label: "xcserver.bench.slots")
        logger.logLevel = .error
        let iterations = max(1, options.slotIterations)
        for (label, grace) in [("reuse, grace 10 s", Duration.seconds(10)), ("new slot each time, grace 0", Duration.zero)] {
            var figures: [String] = []
            for threads in [1, 2] {
                let core = InProcessSlotCore(grace: grace, logger: logger)
                let requests = (0..<threads).map { Self.slotRequests(thread: $0) }
                let perThread = iterations / threads
                let refused = Tally()
                let started = ContinuousClock.now
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    let mine = requests[thread]
                    var refusals = 0
                    for i in 0..<perThread {
                        do {
                            let lease = try core.acquireNow(mine[i % mine.count])
                            lease.release()
                        } catch {
                            refusals += 1
                        }
                    }
                    refused.add(refusals)
                }
                let seconds = started.duration(to: .now).inSeconds
                let rate = Double(perThread * threads) / seconds
                figures.append(String(format: "%d thread%@ %.0fk/s%@", threads, threads == 1 ? "" : "s", rate / 1000,
                                      refused.value > 0 ? " (\(refused.value) refused!)" : (rate >= 100_000 ? "" : " BELOW TARGET")))
            }
            print("4. slot decisions in the bench process, \(iterations) acquire+release over 128 viewer keys per thread on 3 accounts (\(label)): \(figures.joined(separator: ", ")) (target ≥ 100k/s)")
        }
    }

    /// 128 viewer keys (16 users × 8 titles, one client IP per key) over 3 accounts of 128 connections each:
    /// room for every key's slot to linger, so no request is refused.
    static func slotRequests(thread: Int) -> [SlotRequest] {
        let candidates = (1...3).map { account in
            SlotCandidate(accountID: Int64(account), accountName: "account\(account)", relationID: Int64(account * 1000),
                          priority: account == 1 ? 10 : 5, maxConnections: 128)
        }
        return (0..<128).map { k in
            SlotRequest(
                key: ViewerKey(userID: Int64(1 + thread * 100 + k % 16), clientIP: "10.\(thread).\(k / 256).\(k % 256)",
                               kind: .movie, contentID: Int64(k)),
                userMaxConnections: 16, candidates: candidates)
        }
    }
}
