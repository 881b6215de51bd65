import Foundation

extension SlotTable {
    /// Every invariant the rules promise (docs/slots.md), checked against the table as it is: capacity (no
    /// account or user above `max_connections` in live slots) and consistency (every index agrees with the
    /// slots). Tests run it inside the lock after each mutation (`InProcessSlotCore(verifiesInvariants: true)`)
    /// to check "at every instant"; production never does.
    func invariantViolations(now: ContinuousClock.Instant) -> [String] {
        var found: [String] = []
        for (account, ids) in byAccount {
            let live = load(of: ids.filter { slots[$0]?.isLive(at: now) ?? false })
            if let max = knownAccounts[account]?.maxConnections, live > max {
                found.append("account \(account) has \(live) live slots, max_connections \(max)")
            }
            for id in ids where slots[id]?.candidate.accountID != account {
                found.append("account \(account) lists slot \(id) that is not bound to it")
            }
            if Set(ids).count != ids.count { found.append("account \(account) lists a slot twice") }
        }
        let groups = Dictionary(grouping: knownAccounts.filter { $0.value.group != nil }, by: { $0.value.group! })
        for (group, members) in groups {
            let ids = members.flatMap { byAccount[$0.key] ?? [] }
            let live = load(of: ids.filter { slots[$0]?.isLive(at: now) ?? false })
            if let max = members.map(\.value.maxConnections).min(), live > max {
                found.append("capacity group \(group) has \(live) live slots, max_connections \(max)")
            }
        }
        for (user, ids) in byUser {
            let live = ids.filter { slots[$0]?.isLive(at: now) ?? false }.count
            if let max = knownUsers[user], live > max {
                found.append("user \(user) has \(live) live slots, max_connections \(max)")
            }
            for id in ids where slots[id]?.key.userID != user {
                found.append("user \(user) lists slot \(id) that is not theirs")
            }
        }
        for (id, r) in slots {
            if byKey[r.key] != id { found.append("slot \(id) is not indexed by its viewer key") }
            if !(byAccount[r.candidate.accountID]?.contains(id) ?? false) {
                found.append("slot \(id) is missing from account \(r.candidate.accountID)")
            }
            if !(byUser[r.key.userID]?.contains(id) ?? false) { found.append("slot \(id) is missing from its user") }
            if r.inFlight < 0 { found.append("slot \(id) has in-flight \(r.inFlight)") }
            if r.inFlight == 0, r.idleSince == nil { found.append("slot \(id) is idle without an idle time") }
        }
        if byKey.count != slots.count { found.append("viewer index has \(byKey.count) keys for \(slots.count) slots") }
        return found
    }
}
