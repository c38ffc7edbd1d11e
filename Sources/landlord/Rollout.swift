import ArgumentParser
import Foundation
import LandlordCore

/// How much of a plan one apply carries out: `--max-tenants N` and `--waves 1,10%,100%`.
struct Rollout {
    /// One wave: a number of tenants, or a percentage of the tenants this run applies. After the
    /// last size, that size repeats until every tenant is applied.
    enum Size: Equatable {
        case count(Int)
        case percent(Double)
    }

    var maxTenants: Int?
    var waves: [Size]?

    /// Reads `1,10%,100%`.
    static func parseWaves(_ text: String) throws -> [Size] {
        try text.split(separator: ",").map { part in
            let p = part.trimmingCharacters(in: .whitespaces)
            if p.hasSuffix("%"), let v = Double(p.dropLast()), v > 0, v <= 100 { return .percent(v) }
            if let n = Int(p), n > 0 { return .count(n) }
            throw ValidationError("--waves takes counts and percentages such as 1,10%,100%; '\(p)' is neither")
        }
    }

    /// Splits tenants into waves, in order. Returns the waves and the tenants left for a later run.
    func split(_ tenants: [String]) -> (waves: [[String]], later: [String]) {
        var todo = tenants
        var later: [String] = []
        if let maxTenants, todo.count > maxTenants {
            later = Array(todo[maxTenants...])
            todo = Array(todo[..<maxTenants])
        }
        guard let waves, !waves.isEmpty else { return (todo.isEmpty ? [] : [todo], later) }
        var out: [[String]] = []
        var rest = todo[...]
        var i = 0
        while !rest.isEmpty {
            let w = waves[min(i, waves.count - 1)]
            let n: Int
            switch w {
            case .count(let c): n = c
            case .percent(let p): n = Int((Double(todo.count) * p / 100).rounded(.up))
            }
            let take = min(max(1, n), rest.count)
            out.append(Array(rest.prefix(take)))
            rest = rest.dropFirst(take)
            i += 1
        }
        return (out, later)
    }
}
