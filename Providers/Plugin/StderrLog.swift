import Synchronization

/// The last lines a plugin wrote to stderr (its log), quoted in diagnostics when it fails, and
/// echoed as they arrive when `--verbose` asks for it.
final class StderrLog: Sendable {
    private struct Ring {
        var lines: [String] = []
        var next = 0
    }

    private let ring = Mutex(Ring())
    private let capacity: Int
    private let echo: (@Sendable (String) -> Void)?

    init(capacity: Int = 200, echo: (@Sendable (String) -> Void)?) {
        self.capacity = capacity
        self.echo = echo
    }

    /// Keeps one line (the oldest is dropped past `capacity`).
    func append(_ line: String) {
        let clipped = line.count > 2000 ? String(line.prefix(2000)) + "..." : line
        ring.withLock { r in
            if r.lines.count < capacity {
                r.lines.append(clipped)
            } else {
                r.lines[r.next] = clipped
                r.next = (r.next + 1) % capacity
            }
        }
        echo?(clipped)
    }

    /// The last `n` lines, oldest first.
    func last(_ n: Int) -> [String] {
        ring.withLock { r in
            let ordered = Array(r.lines[r.next...] + r.lines[..<r.next])
            return Array(ordered.suffix(n))
        }
    }

    /// The last lines as a quoted block for a diagnostic's detail, or a note that there are none.
    func quoted(_ n: Int = 10) -> String {
        let lines = last(n)
        if lines.isEmpty { return "the plugin wrote nothing to stderr" }
        return "last stderr lines of the plugin:\n" + lines.map { "  | " + $0 }.joined(separator: "\n")
    }
}
