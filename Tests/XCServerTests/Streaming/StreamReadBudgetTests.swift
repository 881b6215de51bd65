import AsyncHTTPClient
import FixtureProvider
import NIOCore
import Testing
@testable import XCServerKit

/// The read budget: one stream reads in large pieces, many streams share a fixed amount.
@Suite struct StreamReadBudgetTests {
    @Test func readSizeIsAShareOfTheBudget() {
        let size = { (flowing: Int) in StreamReadBudget.readSize(budget: 1 << 20, flowing: flowing, minimum: 32 << 10, maximum: 1 << 20) }
        #expect(size(0) == 1 << 20)
        #expect(size(1) == 1 << 20)
        #expect(size(2) == 512 << 10)
        #expect(size(3) == 256 << 10, "a third of 1 MiB rounds down to a power of two")
        #expect(size(16) == 64 << 10)
        #expect(size(32) == 32 << 10)
        #expect(size(200) == 32 << 10, "never below the minimum")
        #expect(StreamReadBudget.readSize(budget: 8 << 20, flowing: 1, minimum: 32 << 10, maximum: 256 << 10) == 256 << 10,
                "never above the maximum")
    }

    @Test func entriesCountUntilLeftOrDropped() {
        let budget = StreamReadBudget()
        let first = budget.enter()
        var second: StreamReadBudget.Entry? = budget.enter()
        #expect(budget.flowingStreams == 2)
        #expect(budget.readSize == 512 << 10)
        first.leave()
        first.leave()
        #expect(budget.flowingStreams == 1, "leaving twice counts once")
        second = nil
        #expect(second == nil)
        #expect(budget.flowingStreams == 0, "a dropped entry leaves")
    }

    /// A real stream client on a real provider socket: reads are capped by the share of the budget at
    /// the time of each read, and one lone stream does read in pieces larger than NIO's default 64 KiB.
    @Test func providerReadsFollowTheBudget() async throws {
        var account = try FixtureAccount.alpha()
        account.mediaSizes[10007] = 24_000_000
        let provider = try await FixtureProvider.start(accounts: [account])
        let budget = StreamReadBudget(budget: 1 << 20, minimum: 16 << 10, maximum: 1 << 20)
        let client = Upstream.makeClient(readBudget: budget)
        let url = "\(provider.baseURL)/movie/alpha/\(FixtureProvider.percentEncode(FixtureAccount.alphaPassword))/10007.mkv"
        do {
            /// The largest chunk of one whole read, while `held` other streams count as flowing.
            func largestChunk(holding held: Int) async throws -> Int {
                let entries = (0..<held).map { _ in budget.enter() }
                defer { entries.forEach { $0.leave() } }
                let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                #expect(response.status == .ok)
                var largest = 0
                var total = 0
                for try await chunk in response.body {
                    largest = max(largest, chunk.readableBytes)
                    total += chunk.readableBytes
                }
                #expect(total == 24_000_000)
                return largest
            }
            let crowded = try await largestChunk(holding: 64)
            #expect(crowded <= 16 << 10, "64 flowing streams share 1 MiB: 16 KiB reads at most, got \(crowded)")
            let alone = try await largestChunk(holding: 1)
            #expect(alone > 64 << 10, "one stream may read up to 1 MiB at once, got at most \(alone)")
            #expect(alone <= 1 << 20)
            #expect(budget.flowingStreams == 0)
        } catch {
            try? await client.shutdown()
            await provider.stop()
            throw error
        }
        try await client.shutdown()
        await provider.stop()
    }
}
