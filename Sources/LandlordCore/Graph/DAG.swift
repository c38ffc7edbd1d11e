/// A directed acyclic graph over nodes `0..<count`: an edge `a -> b` means `a` depends on `b`
/// (b comes first). Topological order is stable: among ready nodes, lower indexes first.
public struct DAG: Sendable {
    public let count: Int
    /// `dependencies[a]` = the nodes `a` depends on.
    public private(set) var dependencies: [[Int]]
    /// `dependents[b]` = the nodes that depend on `b`.
    public private(set) var dependents: [[Int]]

    public init(count: Int) {
        self.count = count
        dependencies = Array(repeating: [], count: count)
        dependents = Array(repeating: [], count: count)
    }

    /// Records that `node` depends on `dependency`.
    public mutating func addEdge(_ node: Int, dependsOn dependency: Int) {
        if dependencies[node].contains(dependency) { return }
        dependencies[node].append(dependency)
        dependents[dependency].append(node)
    }

    /// Dependencies first; nil when there is a cycle.
    public func topologicalOrder() -> [Int]? {
        var indegree = dependencies.map(\.count)
        var ready = MinHeap((0..<count).filter { indegree[$0] == 0 })
        var order: [Int] = []
        order.reserveCapacity(count)
        while let n = ready.pop() {
            order.append(n)
            for d in dependents[n] {
                indegree[d] -= 1
                if indegree[d] == 0 { ready.push(d) }
            }
        }
        return order.count == count ? order : nil
    }

    /// Groups of nodes that can run together, dependencies first (antichains by depth).
    public func levels() -> [[Int]]? {
        guard let order = topologicalOrder() else { return nil }
        var depth = [Int](repeating: 0, count: count)
        for n in order { for d in dependencies[n] { depth[n] = max(depth[n], depth[d] + 1) } }
        var groups: [[Int]] = Array(repeating: [], count: (depth.max() ?? -1) + 1)
        for n in order { groups[depth[n]].append(n) }
        return groups
    }

    /// One cycle as a list of nodes (first repeated at the end), or nil when acyclic.
    public func findCycle() -> [Int]? {
        var color = [UInt8](repeating: 0, count: count)  // 0 new, 1 on stack, 2 done
        var stack: [Int] = []
        func visit(_ n: Int) -> [Int]? {
            color[n] = 1
            stack.append(n)
            for d in dependencies[n] {
                if color[d] == 1, let i = stack.firstIndex(of: d) { return Array(stack[i...]) + [d] }
                if color[d] == 0, let c = visit(d) { return c }
            }
            stack.removeLast()
            color[n] = 2
            return nil
        }
        for n in 0..<count where color[n] == 0 {
            if let c = visit(n) { return c }
        }
        return nil
    }
}

/// A small binary min-heap: node indexes for stable topological ordering, step priorities for
/// the apply's scheduler.
struct MinHeap<Element: Comparable> {
    private var items: [Element]
    init(_ initial: [Element]) {
        items = []
        for i in initial { push(i) }
    }
    var isEmpty: Bool { items.isEmpty }
    mutating func push(_ v: Element) {
        items.append(v)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p] <= items[i] { break }
            items.swapAt(p, i)
            i = p
        }
    }
    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
