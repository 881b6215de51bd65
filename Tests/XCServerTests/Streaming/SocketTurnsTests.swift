import NIOCore
import Testing
@testable import XCServerKit

/// The pure decisions of docs/sockets.md: who holds a viewing's one socket, and what the probe cache keeps.
@Suite struct SocketTurnsTests {
    @Test func theSocketGoesToSmallReadsFirstThenToTheNewestReader() {
        var turns = SocketTurns()
        let probe = turns.register(), index = turns.register(), playback = turns.register()
        let r1 = turns.request(probe, small: false)
        #expect(r1, "a free socket is taken at once")
        let r2 = turns.request(playback, small: false)
        #expect(!r2)
        let r3 = turns.request(index, small: true)
        #expect(!r3)
        let r4 = turns.release(probe)
        #expect(r4 == index, "the index read near the end goes before playback")
        let r5 = turns.request(probe, small: false)
        #expect(!r5)
        let r6 = turns.release(index)
        #expect(r6 == playback, "then the newest reader, not the older probe")
        let r7 = turns.release(playback)
        #expect(r7 == probe)
        let r8 = turns.release(probe)
        #expect(r8 == nil)
        #expect(turns.holder == nil)
    }

    @Test func aReaderThatLeavesGivesUpItsTurnOrItsPlaceInLine() {
        var turns = SocketTurns()
        let a = turns.register(), b = turns.register(), c = turns.register()
        let r9 = turns.request(a, small: false)
        #expect(r9)
        let r10 = turns.request(b, small: false)
        #expect(!r10)
        let r11 = turns.request(c, small: false)
        #expect(!r11)
        let r12 = turns.leave(c)
        #expect(r12 == nil, "a waiter leaving frees nothing")
        let r13 = turns.leave(a)
        #expect(r13 == b, "the holder leaving hands the socket on")
        let r14 = turns.release(a)
        #expect(r14 == nil, "a reader that does not hold the socket cannot release it")
        let r15 = turns.drain().isEmpty
        #expect(r15)
        #expect(turns.holder == b)
    }

    @Test func theProbeCacheKeepsHeadAndTailWithinItsBound() {
        let total: Int64 = 100 << 20
        var cache = ProbeCache(limit: 300 << 10)
        let head = ByteBuffer(bytes: (0..<(512 << 10)).map { UInt8($0 % 251) })
        cache.offer(head, at: 0, total: total)
        #expect(cache.used == Int(ProbeCache.headWindow), "only the head window of a longer read is kept")
        #expect(cache.bytes(at: 1000)?.readableBytes == Int(ProbeCache.headWindow) - 1000)
        #expect(cache.bytes(at: 1000)?.getInteger(at: cache.bytes(at: 1000)!.readerIndex, as: UInt8.self) == UInt8(1000 % 251))
        #expect(cache.bytes(at: ProbeCache.headWindow) == nil)

        let middle = ByteBuffer(repeating: 7, count: 4096)
        cache.offer(middle, at: 50 << 20, total: total)
        #expect(cache.bytes(at: 50 << 20) == nil, "the middle of a film is playback, not a probe")

        let tail = ByteBuffer(repeating: 9, count: 100 << 10)
        cache.offer(tail, at: total - (100 << 10), total: total)
        #expect(cache.used == 300 << 10 || cache.used == Int(ProbeCache.headWindow), "bounded: \(cache.used)")
        #expect(cache.used <= 300 << 10)
        cache.offer(tail, at: total - (100 << 10), total: total)
        #expect(cache.used <= 300 << 10, "offering cached bytes again keeps nothing twice")
    }
}
