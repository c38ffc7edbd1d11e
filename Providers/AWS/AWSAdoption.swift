import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `landlord adopt` against AWS: resources made outside Landlord found by natural key and
/// tagged. User pools, identity pools and target groups are listed once a lookup call (their
/// names matched in memory, then only the matches described for their tags); listener rules are
/// read from each listener they may be on, task definitions by family, services ten a call in
/// their cluster (AWSAdoptionLookups.swift); the untaggable
/// types (records, items, clients, groups, users, contacts) are fetched by their key as an
/// interrupted create's adoption does.
extension AWSProvider: AdoptingProvider {
    public func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse {
        let before = apiCallCounts().values.reduce(0, +)
        var matches = Array(repeating: [KeyMatch](), count: lookups.count)
        var diagnostics: [ProviderDiagnostic] = []
        var byType: [String: [Int]] = [:]
        for (i, l) in lookups.enumerated() { byType[l.type, default: []].append(i) }
        for (type, indexes) in byType.sorted(by: { $0.key < $1.key }) {
            let h: any ResourceHandler
            switch handler(type) {
            case .failure(let d):
                diagnostics.append(d)
                continue
            case .success(let found): h = found
            }
            guard let client else { continue }
            do {
                switch type {
                case AWSResourceTypes.userPool:
                    let pools = UserPools(client: client)
                    try await byName(client, .cognitoIdentityProvider, "ListUserPools", items: "UserPools", id: "Id", name: "Name", lookups, indexes)
                    {
                        try await pools.describe($0)
                    } into: {
                        matches[$0] = $1
                    }
                case AWSResourceTypes.identityPool:
                    let identities = IdentityPools(client: client)
                    try await byName(
                        client, .cognitoIdentity, "ListIdentityPools", items: "IdentityPools", id: "IdentityPoolId", name: "IdentityPoolName",
                        lookups, indexes
                    ) {
                        try await identities.describe($0)
                    } into: {
                        matches[$0] = $1
                    }
                case AWSResourceTypes.targetGroup:
                    let all = try await TargetGroups(client: client).describe([:])
                    var named: [String: [ResourceObject]] = [:]
                    for tg in all { named[tg.attributes["name"]?.stringValue ?? "", default: []].append(tg) }
                    let wanted = indexes.flatMap { named[lookups[$0].key["name"]?.stringValue ?? ""] ?? [] }
                    let tags = try await ELBTags(client: client).tags(wanted.map(\.id))
                    for i in indexes {
                        matches[i] = (named[lookups[i].key["name"]?.stringValue ?? ""] ?? []).map {
                            KeyMatch(resource: $0, owner: tags[$0.id]?[LandlordTag.address])
                        }
                    }
                case AWSResourceTypes.listenerRule, AWSResourceTypes.taskDefinition, AWSResourceTypes.ecsService:
                    let found: [Int: [KeyMatch]]
                    switch type {
                    case AWSResourceTypes.listenerRule: found = try await listenerRules(client, lookups, indexes)
                    case AWSResourceTypes.taskDefinition: found = try await taskDefinitions(client, lookups, indexes)
                    default: found = try await services(client, lookups, indexes)
                    }
                    for i in indexes { matches[i] = found[i] ?? [] }
                default:
                    guard schema.resources[type]?.taggable == false else {
                        diagnostics.append(
                            .error(
                                "\(type) cannot be looked up by natural key yet", detail: "let `landlord apply` create it, or adopt it by id",
                                code: "NoNaturalKey"))
                        continue
                    }
                    // Untaggable: the key names at most one thing, fetched as an import does.
                    for i in indexes {
                        let request = ImportRequest(type: type, identity: lookups[i].identity, inputs: lookups[i].inputs)
                        matches[i] = try await h.find(request).map { KeyMatch(resource: $0) }
                    }
                }
            } catch {
                diagnostics.append(diagnostic(error, action: "look up", type: type, address: lookups[indexes[0]].identity.address))
            }
        }
        let calls = apiCallCounts().values.reduce(0, +) - before
        return KeyLookupResponse(matches: matches, diagnostics: diagnostics, calls: calls)
    }

    /// Lists a Cognito collection once, then describes each item named by a lookup.
    func byName(
        _ client: AWSClient, _ service: AWSService, _ operation: String, items: String, id: String, name: String, _ lookups: [KeyLookup],
        _ indexes: [Int], describe: (String) async throws -> TaggedObject?, into: (Int, [KeyMatch]) -> Void
    ) async throws {
        var ids: [String: [String]] = [:]
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["MaxResults": 60]
            if token != .null { body["NextToken"] = token }
            let out = try await client.call(service, operation, body)
            for item in out[items]?.listValue ?? [] {
                guard let m = item.mapValue, let i = m[id]?.stringValue, let n = m[name]?.stringValue else { continue }
                ids[n, default: []].append(i)
            }
            token = out["NextToken"] ?? .null
        } while token != .null
        for i in indexes {
            var found: [KeyMatch] = []
            for poolID in ids[lookups[i].key["name"]?.stringValue ?? ""] ?? [] {
                if let d = try await describe(poolID) { found.append(KeyMatch(resource: d.object, owner: d.tags[LandlordTag.address])) }
            }
            into(i, found.sorted { $0.resource.id < $1.resource.id })
        }
    }

    public func tag(_ resource: ResourceObject, identity: ResourceIdentity) async -> [ProviderDiagnostic] {
        guard let client else { return [configurationProblem ?? .error("the AWS provider is not configured")] }
        do {
            let owner: String?
            switch resource.type {
            case AWSResourceTypes.userPool:
                guard let now = try await UserPools(client: client).describe(resource.id) else { return [gone(resource)] }
                owner = now.tags[LandlordTag.address]
                if let o = owner, o != identity.address { return [taken(resource, o)] }
                _ = try await client.call(
                    .cognitoIdentityProvider, "TagResource",
                    ["ResourceArn": now.object.attributes["arn"] ?? .null, "Tags": .map(identity.tags.mapValues(Value.string))])
            case AWSResourceTypes.identityPool:
                let out = try await client.call(.cognitoIdentity, "DescribeIdentityPool", ["IdentityPoolId": .string(resource.id)])
                var tags = out["IdentityPoolTags"]?.mapValue ?? [:]
                if let o = tags[LandlordTag.address]?.stringValue, o != identity.address { return [taken(resource, o)] }
                for (k, v) in identity.tags { tags[k] = .string(v) }
                // UpdateIdentityPool takes the pool as DescribeIdentityPool returns it.
                var body = out
                body["IdentityPoolTags"] = .map(tags)
                _ = try await client.call(.cognitoIdentity, "UpdateIdentityPool", body)
            case AWSResourceTypes.taskDefinition, AWSResourceTypes.ecsService:
                return try await tagECS(client, resource, identity)
            case AWSResourceTypes.targetGroup, AWSResourceTypes.listenerRule:
                let tags = try await ELBTags(client: client).tags([resource.id])[resource.id] ?? [:]
                if let o = tags[LandlordTag.address], o != identity.address { return [taken(resource, o)] }
                var p = QueryParams()
                p["ResourceArns.member.1"] = resource.id
                for (i, k) in identity.tags.keys.sorted().enumerated() {
                    p["Tags.member.\(i + 1).Key"] = k
                    p["Tags.member.\(i + 1).Value"] = identity.tags[k]
                }
                _ = try await client.query(.elbv2, action: "AddTags", p.values)
            default:
                return [
                    .error(
                        "adopting \(resource.type) does not write its tags yet", detail: "adopt it without tags is not offered; let apply create it",
                        code: "NotTaggable")
                ]
            }
            return []
        } catch {
            return [diagnostic(error, action: "tag", type: resource.type, address: identity.address)]
        }
    }

    func gone(_ r: ResourceObject) -> ProviderDiagnostic {
        .error("\(r.type) \(r.id) no longer exists", detail: "run adopt again", code: "NotFound")
    }

    func taken(_ r: ResourceObject, _ owner: String) -> ProviderDiagnostic {
        .error("\(r.type) \(r.id) is tagged for \(owner)", detail: "a resource of another address is never adopted", code: "OwnedElsewhere")
    }
}
