// Closer to ListenerCapacity.occupiedPriorities: a throwing call inside do/catch, the tuple's
// second element a Result built after the suspension.
struct Diag: Error, Sendable {
    var summary: String
    var detail: String
    var code: String?
}
struct Reader: Sendable {
    let platform: String
    func priorities(_ listener: String) async throws -> Set<Int> {
        try await Task.sleep(nanoseconds: 500_000)
        if listener.hasSuffix("x") { throw Diag(summary: "s", detail: "d", code: nil) }
        return Set((0..<listener.count).map { $0 * 3 })
    }
}

@inline(never)
func collect(_ listeners: [String], reader: Reader) async -> [String: Set<Int>] {
    await withTaskGroup(of: (String, Result<Set<Int>, Diag>).self) { group in
        for listener in Set(listeners) {
            group.addTask {
                do {
                    return (listener, .success(try await reader.priorities(listener)))
                } catch {
                    return (listener, .failure(Diag(summary: "\(error)", detail: "", code: nil)))
                }
            }
        }
        var out: [String: Set<Int>] = [:]
        var diags: [Diag] = []
        for await (listener, result) in group {
            switch result {
            case .success(let taken): out[listener] = taken
            case .failure(let d): diags.append(d)
            }
        }
        return out
    }
}

@main struct Main {
    static func main() async {
        let keys = (0..<3).map { "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb-\($0)/abcdef" }
        for i in 0..<500 {
            let r = await collect(keys, reader: Reader(platform: "p\(i)"))
            precondition(r.count == keys.count, "lost results")
        }
        print("ok")
    }
}
