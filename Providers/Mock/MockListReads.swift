import AWSSchema
import Foundation
import ProviderAPI

/// Refresh by listing in the simulated cloud: resources are grouped as the AWS provider groups
/// them (a hosted zone, a listener, a cluster, the region) and each group's simulated calls are
/// counted per operation from `AWSListReads`, so a refresh reports the calls AWS would take.
extension MockProvider: ListReadingProvider, CallCountingProvider {
    public func readGroup(for resource: ResourceObject) -> String? {
        guard let listing = AWSListReads.listings[resource.type] else { return nil }
        return AWSListReads.groupType(resource.type) + " " + Self.groupKey(listing, resource.attributes)
    }

    static func groupKey(_ listing: AWSListReads.Listing, _ attributes: [String: Value]) -> String {
        let text = { (k: String) in attributes[k]?.revealed.interpolationText ?? "" }
        switch listing.groupedBy {
        case "zone": return text("zoneId").replacingOccurrences(of: "/hostedzone/", with: "")
        case "listener": return text("listener")
        case "cluster": return text("cluster")
        case "pool": return text("userPoolId")
        case "contactList": return text("contactListName")
        default: return "region"
        }
    }

    public func readMany(group: String, resources: [ResourceObject]) async -> ReadResponse {
        guard let type = resources.first.map({ AWSListReads.groupType($0.type) }), let listing = AWSListReads.listings[type] else {
            return await read(ReadRequest(resources: resources))
        }
        if let throttled = await call(MockAPI.of(type)) { return ReadResponse(resources: resources, diagnostics: [throttled]) }
        await latency()
        count("read")
        do {
            let (found, calls) = try cloud.transact { tx -> ([ResourceObject?], [String: Int]) in
                let found = resources.map { r in
                    tx.get(type: r.type, id: r.id).map { ResourceObject(type: $0.type, id: $0.id, attributes: $0.attributes) }
                }
                return (found, Self.listCalls(listing, type, resources, found, tx))
            }
            for (operation, n) in calls.sorted(by: { $0.key < $1.key }) { count(api: listing.api, operation: operation, n) }
            return ReadResponse(resources: found)
        } catch {
            return ReadResponse(resources: resources, diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }

    /// The requests AWS would take to read this group, per operation (all of the listing's
    /// API), counted from what the simulated cloud holds as `AWSListReads` counts them.
    static func listCalls(
        _ listing: AWSListReads.Listing, _ type: String, _ resources: [ResourceObject], _ found: [ResourceObject?], _ tx: MockCloud.Transaction
    ) -> [String: Int] {
        let count = resources.count
        let changed = zip(resources, found).count { r, f in
            f.map { f in ["topicPreferences", "attributes"].contains { f.attributes[$0]?.revealed != r.attributes[$0]?.revealed } } ?? false
        }
        let text = { (r: MockResource, k: String) in r.attributes[k]?.revealed.interpolationText ?? "" }
        switch type {
        case AWSResourceTypes.user:
            // A pool's groups and users: what ListGroups and each group's ListUsersInGroup return.
            let pool = Self.groupKey(listing, resources[0].attributes)
            guard tx.get(type: AWSResourceTypes.userPool, id: pool) != nil else { return ["ListGroups": 1] }
            let children = tx.referrers(of: pool)
            let users = children.filter { $0.type == AWSResourceTypes.user }
            let members = children.filter { $0.type == AWSResourceTypes.userGroup }.map { g in
                users.count { u in (u.attributes["groups"]?.revealed.listValue ?? []).contains { $0.interpolationText == text(g, "name") } }
            }
            let unlisted = zip(resources, found).count { r, f in
                r.type == AWSResourceTypes.user && (f?.attributes["groups"]?.revealed.listValue ?? []).isEmpty
            }
            return AWSListReads.poolCalls(members: members, users: resources.count { $0.type == AWSResourceTypes.user }, unlisted: unlisted)
        case AWSResourceTypes.contact:
            // Contacts that changed since they were recorded stand for a moved LastUpdatedTimestamp.
            let listed = tx.referrers(of: Self.groupKey(listing, resources[0].attributes)).count { $0.type == type }
            return AWSListReads.contactCalls(count: count, listed: listed, changed: changed)
        case AWSResourceTypes.iamRole where count > AWSListReads.singleReadsUpTo:
            let listed = tx.count(ofType: type)
            return AWSListReads.roleCalls(
                listed: listed, sessionDurations: resources.contains { ($0.attributes["maxSessionDuration"] ?? .null) != .null })
        default:
            if listing.listsAll && count <= AWSListReads.singleReadsUpTo {
                var out: [String: Int] = [:]
                for r in resources { for call in AWSListReads.singleReadCalls(r) { out[call.operation, default: 0] += call.count } }
                return out
            }
            // A list returns the whole zone or region: count what it holds there (listeners
            // and clusters: what was asked for, as AWS is asked for exactly those).
            guard listing.listsAll, listing.groupedBy == "zone" || listing.groupedBy == "region" else {
                return [listing.operation: AWSListReads.calls(listing, count: count, listed: count)]
            }
            if listing.groupedBy == "region" { return [listing.operation: AWSListReads.calls(listing, count: count, listed: tx.count(ofType: type))] }
            let key = Self.groupKey(listing, resources[0].attributes)
            let listed = tx.all(ofType: type).count { Self.groupKey(listing, $0.attributes) == key }
            return [listing.operation: AWSListReads.calls(listing, count: count, listed: listed)]
        }
    }
}
