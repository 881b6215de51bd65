/// What a live channel's reader does when its upstream ends, errors or stalls after the first byte.
///
/// Live is a broadcast: the viewers stay connected while the reader reopens, first on the same relation
/// (a provider hiccup), then on the next relation holding the channel, within a bounded number of attempts
/// so a dead channel ends instead of hammering providers. A connection that delivered for a while resets
/// the count: a channel that drops once an hour lives all day. Plain value; the reader shell holds it.
/// docs/live-streaming.md, "Reconnect and failover".
struct LiveReconnect: Sendable, Equatable {
    struct Policy: Sendable, Equatable {
        /// Attempts on one relation before moving to the next.
        var attemptsPerRelation = 2
        /// Attempts in all before giving up (viewers then end).
        var maxAttempts = 6
    }

    enum Decision: Sendable, Equatable {
        case reopen(relation: Int, attempt: Int)
        case giveUp
    }

    let policy: Policy
    let relations: Int
    private(set) var relation: Int
    private(set) var attemptsOnRelation = 0
    private(set) var attempts = 0

    init(policy: Policy = Policy(), relations: Int, startingAt relation: Int = 0) {
        self.policy = policy
        self.relations = max(1, relations)
        self.relation = relation
    }

    /// The upstream was lost. `refused`: the relation cannot be used now (its account is full or refused),
    /// so trying it again at once is pointless.
    mutating func lost(refused: Bool = false) -> Decision {
        guard attempts < policy.maxAttempts else { return .giveUp }
        attempts += 1
        if refused || attemptsOnRelation >= policy.attemptsPerRelation {
            guard relations > 1 || !refused else { return .giveUp }
            relation = (relation + 1) % relations
            attemptsOnRelation = 0
        }
        attemptsOnRelation += 1
        return .reopen(relation: relation, attempt: attempts)
    }

    /// The current connection delivered long enough to count as healthy.
    mutating func healthy() {
        attempts = 0
        attemptsOnRelation = 0
    }
}
