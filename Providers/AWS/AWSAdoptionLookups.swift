import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// Adoption lookups of the AWS types found where they live rather than in one account-wide
/// listing: listener rules on the pool's listeners, task definitions by family, services in
/// their cluster.
extension AWSProvider {
    /// Listener rules by host header (and, when two rules of one listener share it, path
    /// pattern): each listener the lookups may be on (the pool's members, for `listener: auto`,
    /// else the spec's listener) is described once (DescribeRules, every page), and only the
    /// matching rules' tags are read. A pool listener that does not exist fails the lookups.
    func listenerRules(_ client: AWSClient, _ lookups: [KeyLookup], _ indexes: [Int]) async throws -> [Int: [KeyMatch]] {
        let rules = ListenerRules(client: client)
        /// The listeners to search; nil: a listener given as neither ARN nor pool, so every one.
        func listeners(_ l: KeyLookup) -> [String]? {
            if let members = l.placements["listener"] { return members }
            return l.inputs["listener"]?.stringValue.flatMap { $0.hasPrefix("arn:") ? [$0] : nil }
        }
        var onListener: [String: [ResourceObject]] = [:]
        var everywhere: [ResourceObject]?
        for i in indexes {
            guard let wanted = listeners(lookups[i]) else {
                if everywhere == nil {
                    var all: [ResourceObject] = []
                    for l in try await rules.allListeners() { all += try await rules.describe(["ListenerArn": l]) }
                    everywhere = all
                }
                continue
            }
            for l in wanted where onListener[l] == nil { onListener[l] = try await rules.describe(["ListenerArn": l], missingThrows: true) }
        }
        var candidates: [Int: [ResourceObject]] = [:]
        for i in indexes {
            let pool = listeners(lookups[i]).map { $0.flatMap { onListener[$0] ?? [] } } ?? everywhere ?? []
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

    /// Task definitions by family: DescribeTaskDefinition of the family name gives its latest
    /// ACTIVE revision (earlier revisions are that one's history, not other candidates).
    func taskDefinitions(_ client: AWSClient, _ lookups: [KeyLookup], _ indexes: [Int]) async throws -> [Int: [KeyMatch]] {
        let definitions = TaskDefinitions(client: client)
        var out: [Int: [KeyMatch]] = [:]
        for i in indexes {
            guard let family = lookups[i].key["family"]?.stringValue, let found = try await definitions.describe(family) else {
                out[i] = []
                continue
            }
            out[i] =
                found.object.attributes["family"]?.stringValue == family
                ? [KeyMatch(resource: found.object, owner: found.tags[LandlordTag.address])] : []
        }
        return out
    }

    /// Services by cluster and name: DescribeServices, ten services of one cluster a call.
    func services(_ client: AWSClient, _ lookups: [KeyLookup], _ indexes: [Int]) async throws -> [Int: [KeyMatch]] {
        let handler = ECSServices(client: client, network: ServiceNetwork(settings: [:]))
        var byCluster: [String: [Int]] = [:]
        for i in indexes { byCluster[lookups[i].key["cluster"]?.stringValue ?? "", default: []].append(i) }
        var out: [Int: [KeyMatch]] = [:]
        for (cluster, members) in byCluster.sorted(by: { $0.key < $1.key }) {
            var start = 0
            while start < members.count {
                let batch = Array(members[start..<min(start + 10, members.count)])
                start += 10
                let names = batch.map { lookups[$0].key["name"]?.stringValue ?? "" }
                let response = try await unlessMissing(
                    ["ClusterNotFoundException"],
                    {
                        try await client.call(
                            .ecs, "DescribeServices", ["cluster": .string(cluster), "services": .list(names.map(Value.string)), "include": ["TAGS"]])
                    })
                var found: [String: ECSServices.Described] = [:]
                for s in response?["services"]?.listValue ?? [] {
                    guard let m = s.mapValue, let d = handler.described(m, cluster: cluster), let n = d.object.attributes["name"]?.stringValue
                    else { continue }
                    found[n] = d
                }
                for (i, name) in zip(batch, names) {
                    out[i] = found[name].map { [KeyMatch(resource: $0.object, owner: $0.tags[LandlordTag.address])] } ?? []
                }
            }
        }
        return out
    }

    /// Tags an ECS task definition or service (TagResource), unless another address's tags are on it.
    func tagECS(_ client: AWSClient, _ resource: ResourceObject, _ identity: ResourceIdentity) async throws -> [ProviderDiagnostic] {
        let tags: [String: String]
        if resource.type == AWSResourceTypes.taskDefinition {
            guard let found = try await TaskDefinitions(client: client).describe(resource.id) else { return [gone(resource)] }
            tags = found.tags
        } else {
            let cluster = resource.attributes["cluster"]?.stringValue ?? ""
            let handler = ECSServices(client: client, network: ServiceNetwork(settings: [:]))
            guard let d = try await handler.describe(cluster: cluster, service: resource.attributes["name"]?.stringValue ?? resource.id) else {
                return [gone(resource)]
            }
            tags = d.tags
        }
        if let o = tags[LandlordTag.address], o != identity.address { return [taken(resource, o)] }
        _ = try await client.call(.ecs, "TagResource", ["resourceArn": .string(resource.id), "tags": tagList(identity.tags)])
        return []
    }
}
