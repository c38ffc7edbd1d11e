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
        case "zone":
            let zone = text("zoneId")
            return zone.hasPrefix("/hostedzone/") ? String(zone.dropFirst("/hostedzone/".count)) : zone
        case "listener": return text("listener")
        case "cluster": return text("cluster")
        case "pool": return text("userPoolId")
        case "contactList": return text("contactListName")
        default: return "region"
        }
    }

    /// Loads the simulated cloud's index (a failure here is reported by the reads).
    public func prepareToRead() async { _ = try? cloud.transact { _ in () } }

    public func readMany(group: String, resources: [ResourceObject]) async -> ReadResponse {
        guard let type = resources.first.map({ AWSListReads.groupType($0.type) }), let listing = AWSListReads.listings[type] else {
            return await read(ReadRequest(resources: resources))
        }
        if let throttled = await call(MockAPI.of(type)) { return ReadResponse(resources: resources, diagnostics: [throttled]) }
        await latency()
        count("read")
        do {
            let (found, calls) = try cloud.read(resources.map { ($0.type, $0.id) }) { tx, present in
                Self.listCalls(listing, type, resources, present: present, tx)
            }
            for (operation, n) in calls.sorted(by: { $0.key < $1.key }) { count(api: listing.api, operation: operation, n) }
            return ReadResponse(resources: found.map { $0.map { ResourceObject(type: $0.type, id: $0.id, attributes: $0.attributes) } })
        } catch {
            return ReadResponse(resources: resources, diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }

    /// The requests AWS would take to read this group, per operation (all of the listing's
    /// API), counted from what the simulated cloud holds as `AWSListReads` counts them.
    static func listCalls(
        _ listing: AWSListReads.Listing, _ type: String, _ resources: [ResourceObject], present: Int, _ tx: MockCloud.Transaction
    ) -> [String: Int] {
        let count = resources.count
        // What the cloud holds of the resources asked for (decoded: only the types whose
        // calls depend on their attributes ask for it).
        let found = { resources.map { r in tx.get(type: r.type, id: r.id) } }
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
            let unlisted = zip(resources, found()).count { r, f in
                r.type == AWSResourceTypes.user && (f?.attributes["groups"]?.revealed.listValue ?? []).isEmpty
            }
            return AWSListReads.poolCalls(members: members, users: resources.count { $0.type == AWSResourceTypes.user }, unlisted: unlisted)
        case AWSResourceTypes.contact:
            // Contacts that changed since they were recorded stand for a moved LastUpdatedTimestamp.
            let listed = tx.referrers(of: Self.groupKey(listing, resources[0].attributes)).count { $0.type == type }
            let changed = zip(resources, found()).count { r, f in
                f.map { f in ["topicPreferences", "attributes"].contains { f.attributes[$0]?.revealed != r.attributes[$0]?.revealed } } ?? false
            }
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
            // When every resource of the type in the cloud is one asked for, the zone lists
            // exactly those found (the common case: one zone); otherwise count the zone's.
            let total = tx.count(ofType: type)
            if total == present {
                return [listing.operation: AWSListReads.calls(listing, count: count, listed: total)]
            }
            let key = Self.groupKey(listing, resources[0].attributes)
            let listed = tx.all(ofType: type).count { Self.groupKey(listing, $0.attributes) == key }
            return [listing.operation: AWSListReads.calls(listing, count: count, listed: listed)]
        }
    }
}
