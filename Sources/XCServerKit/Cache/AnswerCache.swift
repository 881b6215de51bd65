import Hummingbird
import Synchronization
import XCModels

/// Rendered XC answers and checked logins, kept per login until the database changes.
///
/// Every request first reads the store's change count (`StoreChanges.count`, one atomic load, no
/// SQLite call); any commit since the last request drops everything kept. This process's commits
/// count before their write returns, another process's within `AnswerCachePolicy.watchInterval`. So a
/// catalog that does not change (the steady state between syncs) costs one lookup per request instead
/// of a render, and no answer outlives a change (docs/under-load.md).
final class AnswerCache: Sendable {
    private let store: Store
    private let state: Mutex<AnswerCacheState>

    init(store: Store, policy: AnswerCachePolicy) {
        self.store = store
        self.state = Mutex(AnswerCacheState(policy: policy))
        store.changes.watch(every: policy.watchInterval)
    }

    /// The generation of the database as it is now; what a request reads after this is at least as new.
    func generation() -> AnswerGeneration {
        let changes = store.changes.count
        return state.withLock { $0.observe(changes) }
    }

    func answer(view: Int64, _ key: AnswerKey, at generation: AnswerGeneration) -> CachedAnswer? {
        state.withLock { $0.answer(view: view, key, at: generation) }
    }

    @discardableResult
    func keep(view: Int64, _ key: AnswerKey, _ answer: CachedAnswer, at generation: AnswerGeneration) -> Bool {
        state.withLock { $0.keep(view: view, key, answer, at: generation) }
    }

    /// What the answers kept take, in bytes.
    var bytes: Int { state.withLock { $0.bytes } }

    /// The login fast path: the user for these credentials when the login may be used now, asking the
    /// store only when the database changed since these credentials were last checked.
    func authenticate(username: String, password: String, at generation: AnswerGeneration) async throws -> Login? {
        let credentials = Credentials(username: username, password: password)
        if let login = state.withLock({ $0.login(credentials, at: generation) }) {
            // Expiry is a matter of time, not of the database: checked on every request.
            return login.user.isActive() ? login : nil
        }
        guard let login = try await store.authenticate(username: username, password: password) else { return nil }
        state.withLock { $0.keepLogin(credentials, login, at: generation) }
        return login
    }
}
