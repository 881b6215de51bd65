import NIOCore
import Testing
@testable import XCModels
@testable import XCServerKit

/// The answer cache's decisions without a lock or a database: eviction under byte budgets, and
/// nothing kept surviving a change of the database.
@Suite struct AnswerCacheStateTests {
    func answer(_ size: Int) -> CachedAnswer {
        CachedAnswer(plain: AnswerBytes(ByteBuffer(repeating: 0x41, count: size)))
    }

    @Test func theLeastRecentlyUsedEntryGoesFirstAndNothingExceedsTheBudget() {
        var lru = ByteLRU<String, Int>(budget: 100)
        lru.set("a", 1, cost: 40)
        lru.set("b", 2, cost: 40)
        let check1 = lru.get("a") == 1
        #expect(check1, "a is now the most recently used")
        lru.set("c", 3, cost: 40)
        #expect(lru.keysByRecency == ["c", "a"] && lru.cost == 80, "b went")
        lru.set("a", 4, cost: 10)
        let check2 = lru.get("a") == 4 && lru.cost == 50
        #expect(check2, "replaced, not added")
        lru.set("huge", 5, cost: 101)
        let check3 = lru.get("huge") == nil && lru.cost == 50
        #expect(check3, "larger than the budget: not kept, nothing evicted")
        lru.set("d", 6, cost: 100)
        #expect(lru.keysByRecency == ["d"] && lru.cost == 100)
        let check4 = lru.remove("d") == 100 && lru.isEmpty && lru.cost == 0
        #expect(check4)
    }

    @Test func aNewChangeCountDropsEverythingAndStaleRendersAreNotKept() {
        var state = AnswerCacheState(policy: AnswerCachePolicy())
        let key = AnswerKey(.vodCategories)
        let first = state.observe(7)
        let check5 = state.keep(view: 1, key, answer(10), at: first)
        #expect(check5)
        #expect(state.observe(7) == first, "same count, same generation")
        let check6 = state.answer(view: 1, key, at: first)?.plain.count == 10
        #expect(check6)
        let check7 = state.answer(view: 2, key, at: first) == nil
        #expect(check7, "another login's view is its own")

        let second = state.observe(8)
        #expect(second != first && state.bytes == 0)
        let check8 = state.answer(view: 1, key, at: second) == nil
        #expect(check8)
        let check9 = !state.keep(view: 1, key, answer(10), at: first)
        #expect(check9, "rendered before the change: not kept")
        let check10 = state.answer(view: 1, key, at: second) == nil
        #expect(check10)
    }

    @Test func eachLoginHasItsBudgetAndTheLeastRecentLoginGivesWayToTheTotal() {
        var state = AnswerCacheState(policy: AnswerCachePolicy(bytesPerLogin: 100, totalBytes: 150))
        let now = state.observe(1)
        let list = AnswerKey(.vodStreams, nil), drama = AnswerKey(.vodStreams, 4)
        let check12 = state.keep(view: 1, list, answer(60), at: now)
        #expect(check12)
        let check13 = state.keep(view: 1, drama, answer(60), at: now)
        #expect(check13)
        let check14 = state.answer(view: 1, list, at: now) == nil && state.bytes == 60
        #expect(check14, "over the login's budget: its oldest went")
        let check15 = !state.keep(view: 1, list, answer(101), at: now)
        #expect(check15, "larger than a login's budget")
        let check16 = state.keep(view: 2, list, answer(60), at: now)
        #expect(check16)
        #expect(state.bytes == 120)
        let check17 = state.keep(view: 3, list, answer(60), at: now)
        #expect(check17)
        let check18 = state.bytes == 120 && state.answer(view: 1, drama, at: now) == nil
        #expect(check18, "login 1, used least recently, gave way")
        let check19 = state.answer(view: 2, list, at: now) != nil && state.answer(view: 3, list, at: now) != nil
        #expect(check19)
    }

    @Test func loginsAreRememberedPerGenerationAndBounded() {
        var state = AnswerCacheState(policy: AnswerCachePolicy(logins: 2))
        let now = state.observe(1)
        let login = Login(user: User(id: 1, username: "a", password: "b"), allowedCategories: nil)
        let credentials = Credentials(username: "a", password: "b")
        state.keepLogin(credentials, login, at: now)
        let check20 = state.login(credentials, at: now)?.user.id == 1
        #expect(check20)
        let check21 = state.login(Credentials(username: "a", password: "c"), at: now) == nil
        #expect(check21)
        state.keepLogin(Credentials(username: "x", password: "1"), login, at: now)
        state.keepLogin(Credentials(username: "y", password: "2"), login, at: now)
        let check22 = state.login(credentials, at: now) == nil
        #expect(check22, "full: emptied before the third")
        let later = state.observe(2)
        let check23 = state.login(Credentials(username: "y", password: "2"), at: later) == nil
        #expect(check23)
    }

    /// A kept list is its rendered chunks (no doubled buffer, no copy); its gzip form is made chunk by
    /// chunk and must inflate to exactly those bytes in that order.
    @Test func aKeptAnswerOfManyChunksCostsItsBytesAndCompressesToThem() throws {
        let parts = (0..<5).map { i in (0..<(70_000 + i)).map { UInt8(truncatingIfNeeded: $0 &* (i + 3)) } }
        var answer = AnswerBytes()
        for part in parts { answer.append(ByteBuffer(bytes: part)) }
        answer.append(ByteBuffer())
        let sizes = answer.count == parts.map(\.count).reduce(0, +) && answer.chunks.count == 5
        #expect(sizes, "empty chunks are not kept, and the count is the bytes")
        let gzip = try StreamedBody.gzipped(answer)
        let inflated = try gunzip(gzip.chunks.flatMap { Array($0.readableBytesView) })
        let same = inflated == parts.flatMap { $0 }
        #expect(same && gzip.count < answer.count)
        #expect(CachedAnswer(plain: answer, gzip: gzip).cost == answer.count + gzip.count)
    }
}
