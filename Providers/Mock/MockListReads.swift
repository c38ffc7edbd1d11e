import AWSSchema
import Foundation
import ProviderAPI

/// Refresh by listing in the simulated cloud: resources are grouped as the AWS provider groups
/// them (a hosted zone, a listener, a cluster, the region) and each group's simulated calls are
/// counted per operation from `AWSListReads`, so a refresh reports the calls AWS would take.
extension MockProvider: ListReadingProvider, CallCountingProvider {
    public func readGroup(for resource: ResourceObject) -> String? {
        guard let listing = AWSListReads.listings[resource.type] else { return nil }
        return resource.type + " " + Self.groupKey(listing, resource.attributes)
    }

    static func groupKey(_ listing: AWSListReads.Listing, _ attributes: [String: Value]) -> String {
        let text = { (k: String) in attributes[k]?.revealed.interpolationText ?? "" }
        switch listing.groupedBy {
        case "zone": return text("zoneId").replacingOccurrences(of: "/hostedzone/", with: "")
        case "listener": return text("listener")
        case "cluster": return text("cluster")
        default: return "region"
        }
    }

    public func readMany(group: String, resources: [ResourceObject]) async -> ReadResponse {
        guard let type = resources.first?.type, let listing = AWSListReads.listings[type] else {
            return await read(ReadRequest(resources: resources))
        }
        if let throttled = await call(MockAPI.of(type)) { return ReadResponse(resources: resources, diagnostics: [throttled]) }
        await latency()
        count("read")
        do {
            let (found, listed) = try cloud.transact { tx -> ([ResourceObject?], Int) in
                let found = resources.map { r in
                    tx.get(type: r.type, id: r.id).map { ResourceObject(type: $0.type, id: $0.id, attributes: $0.attributes) }
                }
                // A list returns the whole zone or region: count what it holds there (listeners
                // and clusters: what was asked for, as AWS is asked for exactly those).
                guard listing.listsAll, listing.groupedBy == "zone" || listing.groupedBy == "region" else { return (found, resources.count) }
                let key = Self.groupKey(listing, resources[0].attributes)
                let listed = tx.resources.values.count { $0.type == type && Self.groupKey(listing, $0.attributes) == key }
                return (found, listed)
            }
            if listing.listsAll && resources.count <= AWSListReads.singleReadsUpTo, let single = AWSListReads.singleReads[type] {
                count(api: single.api, operation: single.operation, resources.count)
            } else {
                count(api: listing.api, operation: listing.operation, AWSListReads.calls(listing, count: resources.count, listed: listed))
            }
            return ReadResponse(resources: found)
        } catch {
            return ReadResponse(resources: resources, diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }
}
