import NIOCore
import XCModels

/// How much memory rendered answers may take (docs/under-load.md, "Rendered answers are kept").
struct AnswerCachePolicy: Sendable {
    /// One login's answers: its 100,000-film and 10,000-series lists, plain and gzip, fit with room for
    /// category lists and thousands of `get_vod_info` answers.
    var bytesPerLogin = 64 << 20
    /// All logins together; the login used least recently gives way first.
    var totalBytes = 256 << 20
    /// Credentials remembered by the login fast path; past this the memory is emptied (only a flood of
    /// distinct valid logins gets there).
    var logins = 1024
    /// How often the database file is checked for commits of other processes (`xcserver sync` from
    /// the command line): the longest such a commit can go unseen. This process's own commits are seen
    /// at once.
    var watchInterval: Duration = .milliseconds(200)
}

/// What an answer is for, within one login's view: the action and its parameters, normalized (the
/// integer the controller reads, nil when absent). Adding an action to the cache is one such key.
struct AnswerKey: Hashable, Sendable {
    var action: XCAction
    var parameters: [Int64?]

    init(_ action: XCAction, _ parameters: Int64?...) {
        self.action = action
        self.parameters = parameters
    }
}

/// A rendered answer as it is sent: the JSON bytes and, once a client asked for it, their gzip form.
struct CachedAnswer: Sendable {
    var plain: AnswerBytes
    var gzip: AnswerBytes?
    /// Work a hit must still do: the answer was rendered without something the provider has and we do
    /// not, yet (see `PlayerAPIController`).
    var followUp: FollowUp?

    var cost: Int { plain.count + (gzip?.count ?? 0) }
}

enum FollowUp: Sendable {
    /// The film's detail was missing: ask for it again (the fetch guard decides whether it goes out).
    case movieDetail(movieID: Int64, account: Account, streamID: Int)
    /// The series' episodes were never fetched: try the on-demand fetch before answering.
    case episodes(seriesID: Int64)
}

/// When an answer was valid: answers and logins kept under one generation are dropped as soon as the
/// database is seen to have changed.
struct AnswerGeneration: Hashable, Sendable {
    fileprivate var epoch: UInt64
}

struct Credentials: Hashable, Sendable {
    var username: String
    var password: String
}

/// The rendered answers and logins of the current database state, per login view. A value type: the
/// lock is `AnswerCache`'s, the store's change count is handed in.
struct AnswerCacheState {
    let policy: AnswerCachePolicy
    private var changes: UInt64?
    private var epoch: UInt64 = 0
    private var views: [Int64: ByteLRU<AnswerKey, CachedAnswer>] = [:]
    /// When each view was last used, for the total budget.
    private var viewUse: [Int64: UInt64] = [:]
    private var useTick: UInt64 = 0
    private var logins: [Credentials: Login] = [:]
    /// The summed cost of every view's answers.
    private(set) var bytes = 0

    init(policy: AnswerCachePolicy) { self.policy = policy }

    /// The generation of the database after `changes` changes (`StoreChanges.count`): a count other
    /// than the last one seen drops everything kept.
    mutating func observe(_ changes: UInt64) -> AnswerGeneration {
        if changes != self.changes {
            epoch += 1
            self.changes = changes
            views = [:]
            viewUse = [:]
            logins = [:]
            bytes = 0
        }
        return AnswerGeneration(epoch: epoch)
    }

    mutating func answer(view: Int64, _ key: AnswerKey, at generation: AnswerGeneration) -> CachedAnswer? {
        guard generation.epoch == epoch, let found = views[view]?.get(key) else { return nil }
        touch(view)
        return found
    }

    /// Keeps `answer` when it was rendered in the current generation; false when it was not kept
    /// (stale, or larger than a login's budget).
    @discardableResult
    mutating func keep(view: Int64, _ key: AnswerKey, _ answer: CachedAnswer, at generation: AnswerGeneration) -> Bool {
        guard generation.epoch == epoch else { return false }
        var lru = views[view] ?? ByteLRU(budget: policy.bytesPerLogin)
        let before = lru.cost
        lru.set(key, answer, cost: answer.cost)
        bytes += lru.cost - before
        views[view] = lru
        touch(view)
        while bytes > policy.totalBytes {
            guard let victim = leastRecentView(sparing: view) ?? (views[view] != nil ? view : nil) else { break }
            bytes -= views[victim]?.evictOldest() ?? 0
            if views[victim]?.isEmpty == true { views[victim] = nil; viewUse[victim] = nil }
        }
        return views[view]?.get(key) != nil
    }

    mutating func login(_ credentials: Credentials, at generation: AnswerGeneration) -> Login? {
        generation.epoch == epoch ? logins[credentials] : nil
    }

    mutating func keepLogin(_ credentials: Credentials, _ login: Login, at generation: AnswerGeneration) {
        guard generation.epoch == epoch else { return }
        if logins.count >= policy.logins { logins = [:] }
        logins[credentials] = login
    }

    private mutating func touch(_ view: Int64) {
        useTick += 1
        viewUse[view] = useTick
    }

    private func leastRecentView(sparing spared: Int64) -> Int64? {
        viewUse.filter { $0.key != spared }.min { $0.value < $1.value }?.key
    }
}
