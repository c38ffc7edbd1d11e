import AWSSchema
import Foundation
import ProviderAPI

/// `landlord adopt` on the simulated cloud: each type's resources are listed once per lookup
/// call (as the AWS provider lists pools, target groups and a zone's records) and matched by
/// natural key; tags are written as TagResource would.
extension MockProvider: AdoptingProvider {
    /// The text two resources of a type share when their natural keys are equal: a record's
    /// name without its final dot and in lower case, as Route53 compares names.
    static func naturalKeyText(_ type: String, _ key: [String], _ attributes: [String: Value]) -> String {
        if type == AWSResourceTypes.route53Record {
            let s = { (k: String) in attributes[k]?.revealed.interpolationText ?? "" }
            return MockRules.recordKey(zone: s("zoneId"), name: s("name"), type: s("type"))
        }
        return key.map { JSON.string(attributes[$0]?.revealed ?? .null, sortedKeys: true) }.joined(separator: "|")
    }

    static func revision(_ r: MockResource) -> Int { r.attributes["revision"]?.intValue ?? 0 }

    public func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse {
        var matches = Array(repeating: [KeyMatch](), count: lookups.count)
        var diagnostics: [ProviderDiagnostic] = []
        var calls = 0
        var byType: [String: [Int]] = [:]
        for (i, l) in lookups.enumerated() { byType[l.type, default: []].append(i) }
        for (type, indexes) in byType.sorted(by: { $0.key < $1.key }) {
            guard let key = schema.resources[type]?.naturalKey, !key.isEmpty else {
                diagnostics.append(
                    .error(
                        "\(type) cannot be looked up by a natural key",
                        detail: "adopt it from Terraform state (--from-terraform), or delete it and let apply create it", code: "NoNaturalKey"))
                continue
            }
            if let throttled = await call(MockAPI.of(type)) {
                diagnostics.append(throttled)
                continue
            }
            await latency()
            count("list \(type)")
            calls += 1
            do {
                let all = try cloud.transact { tx in tx.all(ofType: type) }
                var index: [String: [MockResource]] = [:]
                for r in all { index[Self.naturalKeyText(type, key, r.attributes), default: []].append(r) }
                for i in indexes {
                    var found = index[Self.naturalKeyText(type, key, lookups[i].key)] ?? []
                    // Only on the pool members it may be placed on (a rule's `listener: auto`).
                    for (attr, members) in lookups[i].placements {
                        found = found.filter { members.contains($0.attributes[attr]?.stringValue ?? "") }
                    }
                    // A family's latest revision: the earlier ones are its history, not candidates.
                    if type == AWSResourceTypes.taskDefinition, let latest = found.max(by: { Self.revision($0) < Self.revision($1) }) {
                        found = [latest]
                    }
                    matches[i] = found.sorted { $0.id < $1.id }.map {
                        KeyMatch(resource: ResourceObject(type: $0.type, id: $0.id, attributes: $0.attributes), owner: $0.tags[LandlordTag.address])
                    }
                }
            } catch {
                diagnostics.append(.error("simulated cloud unreadable", detail: "\(error)"))
            }
        }
        return KeyLookupResponse(matches: matches, diagnostics: diagnostics, calls: calls)
    }

    public func tag(_ resource: ResourceObject, identity: ResourceIdentity) async -> [ProviderDiagnostic] {
        if let throttled = await call(MockAPI.of(resource.type)) { return [throttled] }
        await latency()
        count("tag \(resource.type)")
        do {
            return try cloud.transact { tx -> [ProviderDiagnostic] in
                guard var r = tx.get(type: resource.type, id: resource.id) else {
                    return [.error("\(resource.type) \(resource.id) no longer exists", detail: "adopt again", code: "NotFound")]
                }
                if let owner = r.tags[LandlordTag.address], owner != identity.address {
                    return [.error("\(resource.type) \(resource.id) is tagged for \(owner)", detail: "it is not adopted", code: "OwnedElsewhere")]
                }
                r.tags.merge(identity.tags) { _, new in new }
                tx.put(r)
                return []
            }
        } catch {
            return [.error("simulated cloud unavailable", detail: "\(error)")]
        }
    }
}
