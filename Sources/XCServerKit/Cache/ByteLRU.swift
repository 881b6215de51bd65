/// Least-recently-used entries under a byte budget: a value type with no lock and no clock, so the
/// answer cache's eviction is tested on its own.
///
/// Every operation is O(1): a dictionary of nodes linked in use order (most recent at `newest`).
struct ByteLRU<Key: Hashable, Value> {
    private struct Node {
        var value: Value
        var cost: Int
        var older: Key?
        var newer: Key?
    }

    let budget: Int
    private var nodes: [Key: Node] = [:]
    private var newest: Key?
    private var oldest: Key?
    /// The summed cost of what is held, never above `budget`.
    private(set) var cost = 0

    init(budget: Int) { self.budget = budget }

    var count: Int { nodes.count }
    var isEmpty: Bool { nodes.isEmpty }

    /// The value, now the most recently used.
    mutating func get(_ key: Key) -> Value? {
        guard let node = nodes[key] else { return nil }
        unlink(key)
        link(key, node)
        return node.value
    }

    /// Holds `value` (replacing what `key` held), evicting the least recently used entries until it
    /// fits; returns the evicted cost. A value costlier than the whole budget is not held.
    @discardableResult
    mutating func set(_ key: Key, _ value: Value, cost: Int) -> Int {
        var freed = remove(key)
        guard cost <= budget else { return freed }
        while self.cost + cost > budget { freed += evictOldest() }
        link(key, Node(value: value, cost: cost))
        self.cost += cost
        return freed
    }

    /// Drops `key`; returns its cost (0 when absent).
    @discardableResult
    mutating func remove(_ key: Key) -> Int {
        guard let node = nodes[key] else { return 0 }
        unlink(key)
        nodes[key] = nil
        cost -= node.cost
        return node.cost
    }

    /// Drops the least recently used entry; returns its cost (0 when empty).
    @discardableResult
    mutating func evictOldest() -> Int {
        guard let key = oldest else { return 0 }
        return remove(key)
    }

    /// Keys from the most to the least recently used.
    var keysByRecency: [Key] {
        var keys: [Key] = []
        var key = newest
        while let current = key {
            keys.append(current)
            key = nodes[current]?.older
        }
        return keys
    }

    private mutating func link(_ key: Key, _ node: Node) {
        var node = node
        node.older = newest
        node.newer = nil
        if let previous = newest { nodes[previous]?.newer = key }
        newest = key
        if oldest == nil { oldest = key }
        nodes[key] = node
    }

    private mutating func unlink(_ key: Key) {
        guard let node = nodes[key] else { return }
        if let older = node.older { nodes[older]?.newer = node.newer } else { oldest = node.newer }
        if let newer = node.newer { nodes[newer]?.older = node.older } else { newest = node.older }
        nodes[key]?.older = nil
        nodes[key]?.newer = nil
    }
}
