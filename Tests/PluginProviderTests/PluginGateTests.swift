import ProviderAPI
import Synchronization
import Testing

@testable import PluginProvider

/// The plugin's `maxConcurrency` and `concurrencyKeys` bound what is in flight.
@Suite struct PluginGateTests {
    /// Runs `count` bodies through the gate, each holding its slot for a moment; the most that
    /// were inside at once.
    static func peak(_ gate: PluginGate, count: Int, key: @escaping @Sendable (Int) -> String?) async -> Int {
        let inside = Inside()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    await gate.run(key: key(i)) {
                        inside.withLock { s in
                            s.now += 1
                            s.peak = max(s.peak, s.now)
                        }
                        try? await Task.sleep(nanoseconds: 5_000_000)
                        inside.withLock { $0.now -= 1 }
                    }
                }
            }
        }
        return inside.withLock { $0.peak }
    }

    /// How many bodies are inside the gate now, and the most there ever were.
    final class Inside: Sendable {
        struct Counts {
            var now = 0
            var peak = 0
        }
        private let counts = Mutex(Counts())
        func withLock<R>(_ body: (inout Counts) -> R) -> R { counts.withLock { body(&$0) } }
    }

    @Test func maxConcurrencyBoundsCallsInFlight() async {
        let peak = await Self.peak(PluginGate(maxConcurrency: 3, keys: [:]), count: 30) { _ in nil }
        #expect(peak == 3)
    }

    @Test func callsSharingAKeyNeverOverlap() async {
        let gate = PluginGate(maxConcurrency: 8, keys: ["acme.invoice": ["customer"]])
        #expect(
            gate.key(type: "acme.invoice", attributes: ["customer": "a", "amount": 1])
                == gate.key(type: "acme.invoice", attributes: ["customer": "a"]))
        #expect(gate.key(type: "acme.invoice", attributes: ["customer": "a"]) != gate.key(type: "acme.invoice", attributes: ["customer": "b"]))
        #expect(gate.key(type: "acme.other", attributes: ["customer": "a"]) == nil)
        let same = await Self.peak(gate, count: 20) { _ in gate.key(type: "acme.invoice", attributes: ["customer": "a"]) }
        #expect(same == 1)
        let two = await Self.peak(gate, count: 20) { i in gate.key(type: "acme.invoice", attributes: ["customer": .string(i % 2 == 0 ? "a" : "b")]) }
        #expect(two == 2)
    }
}
