import ProviderAPI
import Synchronization

/// What the plugin takes at once: at most `maxConcurrency` calls in flight, and calls that share
/// a concurrency key one after another (`capabilities.concurrencyKeys` in PROTOCOL.md).
final class PluginGate: Sendable {
    private struct State: Sendable {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
        var head = 0
        var busyKeys: Set<String> = []
        var keyWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state: Mutex<State>
    /// `TYPE` (or `*`) -> the attributes whose values make the key; an empty list: every call of
    /// that type has the same key.
    let keys: [String: [String]]

    init(maxConcurrency: Int, keys: [String: [String]]) {
        state = Mutex(State(free: max(1, maxConcurrency)))
        self.keys = keys
    }

    /// The concurrency key of a call about one resource of `type`, or nil when it has none.
    func key(type: String, attributes: [String: Value]) -> String? {
        for pattern in [type, "*"] {
            guard let attrs = keys[pattern] else { continue }
            let parts = attrs.map { a in a + "=" + JSON.string(attributes[a]?.revealed ?? .null) }
            return ([pattern] + parts).joined(separator: "|")
        }
        return nil
    }

    /// Runs `body` once its key is free and a slot is.
    func run<T: Sendable>(key: String?, _ body: () async -> T) async -> T {
        if let key { await lock(key) }
        await acquire()
        let result = await body()
        release()
        if let key { unlock(key) }
        return result
    }

    private func acquire() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.free > 0 {
                    s.free -= 1
                    return true
                }
                s.waiting.append(cont)
                return false
            }
            if ready { cont.resume() }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard s.head < s.waiting.count else {
                s.free += 1
                return nil
            }
            let c = s.waiting[s.head]
            s.head += 1
            if s.head > 1024 && s.head * 2 > s.waiting.count {
                s.waiting.removeFirst(s.head)
                s.head = 0
            }
            return c
        }
        next?.resume()
    }

    private func lock(_ key: String) async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.busyKeys.insert(key).inserted { return true }
                s.keyWaiters[key, default: []].append(cont)
                return false
            }
            if ready { cont.resume() }
        }
    }

    private func unlock(_ key: String) {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            if var w = s.keyWaiters[key], !w.isEmpty {
                let c = w.removeFirst()
                s.keyWaiters[key] = w.isEmpty ? nil : w
                return c
            }
            s.busyKeys.remove(key)
            return nil
        }
        next?.resume()
    }
}
