import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// Adoption lookups of the AWS types found where they live rather than in one account-wide
/// listing: listener rules on the pool's listeners.
extension AWSProvider {
    /// Listener rules by host header (and, when two rules of one listener share it, path
    /// pattern): each listener the lookups may be on (the pool's members, for `listener: auto`,
    /// else the spec's listener) is described once (DescribeRules, every page), and only the
    /// matching rules' tags are read. A pool listener that does not exist fails the lookups.
    func listenerRules(_ client: AWSClient, _ lookups: [KeyLookup], _ indexes: [Int]) async throws -> [Int: [KeyMatch]] {
        let rules = ListenerRules(client: client)
        func listeners(_ l: KeyLookup) -> [String] {
            if let members = l.placements["listener"] { return members }
            return l.inputs["listener"]?.stringValue.map { $0.hasPrefix("arn:") ? [$0] : [] } ?? []
        }
        var onListener: [String: [ResourceObject]] = [:]
        var everywhere: [ResourceObject]?
        for i in indexes {
            let wanted = listeners(lookups[i])
            if wanted.isEmpty && everywhere == nil {
                // A listener given as neither ARN nor pool: every listener of every load balancer.
                var all: [ResourceObject] = []
                for l in try await rules.allListeners() { all += try await rules.describe(["ListenerArn": l]) }
                everywhere = all
            }
            for l in wanted where onListener[l] == nil { onListener[l] = try await rules.describe(["ListenerArn": l], missingThrows: true) }
        }
        var candidates: [Int: [ResourceObject]] = [:]
        for i in indexes {
            let wanted = listeners(lookups[i])
            let pool = wanted.isEmpty ? (everywhere ?? []) : wanted.flatMap { onListener[$0] ?? [] }
            let host = lookups[i].key["hostHeader"]?.stringValue?.lowercased()
            var found = pool.filter { $0.attributes["hostHeader"]?.stringValue?.lowercased() == host }
            if found.count > 1 {
                // One host on one listener may have rules for several paths: the spec's path picks one.
                let path = lookups[i].inputs["pathPattern"] ?? .null
                let same = found.filter { ($0.attributes["pathPattern"] ?? .null) == path }
                if !same.isEmpty { found = same }
            }
            candidates[i] = found.sorted { $0.id < $1.id }
        }
        let tags = try await ELBTags(client: client).tags(Array(Set(candidates.values.joined().map(\.id))).sorted())
        return candidates.mapValues { $0.map { KeyMatch(resource: $0, owner: tags[$0.id]?[LandlordTag.address]) } }
    }
}
