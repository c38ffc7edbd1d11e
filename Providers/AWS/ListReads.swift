import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// A handler that reads many resources with list or batch calls (refresh by listing).
protocol ListingHandler: ResourceHandler {
    /// The group a resource is read with, within its type (a zone, a listener, a cluster);
    /// nil: read it on its own.
    func readGroup(_ resource: ResourceObject) -> String?
    /// Every resource of one group, in order, nil where it no longer exists.
    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?]
}

/// Small groups of types whose list returns everything are read one by one (AWSListReads).
enum Listing {
    /// True when a group of `count` resources of `type` is cheaper read one at a time.
    static func readsSingly(_ type: String, _ count: Int) -> Bool {
        AWSListReads.listings[type]?.listsAll == true && count <= AWSListReads.singleReadsUpTo
    }

    /// Reads each resource with `read` (small groups).
    static func single(_ h: some ResourceHandler, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        var out: [ResourceObject?] = []
        for r in resources { out.append(try await h.read(r)) }
        return out
    }
}

extension AWSProvider: ListReadingProvider, CallCountingProvider {
    public func readGroup(for resource: ResourceObject) -> String? {
        guard configurationProblem == nil, let h = handlers[resource.type] as? any ListingHandler, let g = h.readGroup(resource) else { return nil }
        // A type read with another's groups (a pool's user groups with its users) names that type.
        return AWSListReads.groupType(resource.type) + " " + g
    }

    public func readMany(group: String, resources: [ResourceObject]) async -> ReadResponse {
        guard let space = group.firstIndex(of: " ") else { return await read(ReadRequest(resources: resources)) }
        let type = String(group[..<space])
        let key = String(group[group.index(after: space)...])
        switch handler(type) {
        case .failure(let d):
            return ReadResponse(resources: resources, diagnostics: [d])
        case .success(let h):
            guard let lister = h as? any ListingHandler else { return await read(ReadRequest(resources: resources)) }
            do {
                let found = try await lister.readMany(group: key, resources)
                return ReadResponse(resources: zip(found, resources).map { fresh, prior in fresh.map { shaped($0, like: prior) } })
            } catch {
                return ReadResponse(resources: resources, diagnostics: [diagnostic(error, action: "read", type: type, address: "(\(key))")])
            }
        }
    }

    public func apiCallCounts() -> [APIOperation: Int] {
        var out: [APIOperation: Int] = [:]
        for (api, ops) in client?.requests.snapshot ?? [:] {
            for (op, n) in ops { out[APIOperation(api: api, operation: op)] = n }
        }
        return out
    }
}

// MARK: Route53: ListResourceRecordSets, 300 records a page, per hosted zone

extension Route53Records: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? {
        (try? key(Inputs(resource.attributes)))?.zone
    }

    func readMany(group zone: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        if Listing.readsSingly(Self.type, resources.count) { return try await Listing.single(self, resources) }
        var sets: [String: XMLNode] = [:]  // "fqdn TYPE" -> first set
        var next: [(String, String)]?  // the next page's name, type (and identifier)
        repeat {
            var query = [("maxitems", "300")]
            if let next { query += next }
            guard
                let listed = try await unlessMissing(
                    ["NoSuchHostedZone"],
                    {
                        try await client.restXML(
                            .route53, operation: "ListResourceRecordSets", method: "GET", path: "/2013-04-01/hostedzone/\(zone)/rrset",
                            query: query)
                    })
            else { return resources.map { _ in nil } }
            let root = listed.root
            for set in root?.members("ResourceRecordSets", item: "ResourceRecordSet") ?? [] {
                let k = Self.fqdn(Self.unescape(set.string("Name") ?? "")) + " " + (set.string("Type") ?? "")
                if sets[k] == nil { sets[k] = set }
            }
            if root?.string("IsTruncated") == "true", let name = root?.string("NextRecordName"), let type = root?.string("NextRecordType") {
                next = [("name", name), ("type", type)] + (root?.string("NextRecordIdentifier").map { [("identifier", $0)] } ?? [])
            } else {
                next = nil
            }
        } while next != nil
        return try resources.map { r in
            let k = try key(Inputs(r.attributes))
            return sets[k.name + " " + k.type].map { object(k, set: $0) }
        }
    }
}

// MARK: ELBv2: DescribeRules per listener, DescribeTargetGroups 400 a page

extension ListenerRules: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? {
        Self.listenerArn(ofRule: resource.id)
    }

    func readMany(group listener: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        if Listing.readsSingly(Self.type, resources.count) { return try await Listing.single(self, resources) }
        // A listener holds at most a few hundred rules: one page of 400 (a gone listener: none).
        let rules = Dictionary(try await describe(["ListenerArn": listener, "PageSize": "400"]).map { ($0.id, $0) }) { a, _ in a }
        return resources.map { rules[$0.id] }
    }
}

extension TargetGroups: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { "region" }

    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        if Listing.readsSingly(Self.type, resources.count) { return try await Listing.single(self, resources) }
        let groups = Dictionary(try await describe(["PageSize": "400"]).map { ($0.id, $0) }) { a, _ in a }
        return resources.map { groups[$0.id] }
    }
}

// MARK: ECS: DescribeServices 10 a call per cluster; task definitions by ListTaskDefinitions

extension ECSServices: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? {
        Inputs(resource.attributes).optionalString("cluster")
    }

    func readMany(group cluster: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        var found: [String: ResourceObject] = [:]  // by name and by ARN
        let names = resources.map { Inputs($0.attributes).optionalString("name") ?? $0.id }
        var start = 0
        while start < names.count {
            let batch = Array(Set(names[start..<min(start + 10, names.count)])).sorted()
            start += 10
            guard
                let out = try await unlessMissing(
                    ["ClusterNotFoundException"],
                    {
                        try await client.call(
                            .ecs, "DescribeServices", ["cluster": .string(cluster), "services": .list(batch.map(Value.string)), "include": ["TAGS"]])
                    })
            else { return resources.map { _ in nil } }
            for s in out["services"]?.listValue ?? [] {
                guard let m = s.mapValue, let d = described(m, cluster: cluster) else { continue }
                found[d.object.id] = d.object
                if let name = m["serviceName"]?.stringValue { found[name] = d.object }
            }
        }
        return names.map { found[$0] }
    }
}

extension TaskDefinitions: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { "region" }

    /// A task definition revision never changes: the only drift is its deregistration. So the
    /// ACTIVE revisions listed (100 a page) say which recorded ones still exist as recorded.
    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        if Listing.readsSingly(Self.type, resources.count) { return try await Listing.single(self, resources) }
        var active: Set<String> = []
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["status": "ACTIVE", "maxResults": 100]
            if token != .null { body["nextToken"] = token }
            let out = try await client.call(.ecs, "ListTaskDefinitions", body)
            active.formUnion(out["taskDefinitionArns"]?.listValue?.compactMap(\.stringValue) ?? [])
            token = out["nextToken"] ?? .null
        } while token != .null
        return resources.map { active.contains($0.id) ? $0 : nil }
    }
}

// MARK: Cognito: ListUserPools and ListIdentityPools, 60 a page

/// Lists a JSON-protocol collection (`MaxResults` 60 / `NextToken`): id -> name.
func listNames(_ client: AWSClient, _ service: AWSService, _ operation: String, items: String, id: String, name: String) async throws -> [String:
    Value]
{
    var out: [String: Value] = [:]
    var token: Value = .null
    repeat {
        var body: [String: Value] = ["MaxResults": 60]
        if token != .null { body["NextToken"] = token }
        let page = try await client.call(service, operation, body)
        for item in page[items]?.listValue ?? [] {
            guard let m = item.mapValue, let i = m[id]?.stringValue else { continue }
            out[i] = m[name] ?? .null
        }
        token = page["NextToken"] ?? .null
    } while token != .null
    return out
}

extension ListingHandler {
    /// Reads `resources` from one listing of ids and names (`list`, when there are too many to
    /// read one by one): a listed resource keeps its recorded attributes with the listed name,
    /// so a listing refresh sees a resource deleted or renamed, not drift of what it omits.
    func readByName(
        _ type: String, _ resources: [ResourceObject], list: () async throws -> [String: Value]
    ) async throws -> [ResourceObject?] {
        if Listing.readsSingly(type, resources.count) { return try await Listing.single(self, resources) }
        let names = try await list()
        return resources.map { r in
            guard let name = names[r.id] else { return nil }
            var listed = r
            listed.attributes["name"] = name
            listed.attributes["id"] = .string(r.id)
            return listed
        }
    }
}

extension UserPools: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { "region" }

    /// ListUserPools returns a pool's id and name (not its MFA setting): a listed pool keeps
    /// its recorded `mfa`, so a listing refresh sees a pool deleted or renamed, not MFA drift.
    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        try await readByName(Self.type, resources) {
            try await listNames(client, .cognitoIdentityProvider, "ListUserPools", items: "UserPools", id: "Id", name: "Name")
        }
    }
}

extension IdentityPools: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { "region" }

    /// ListIdentityPools returns a pool's id and name only: a listed identity pool keeps its
    /// other settings' recorded values.
    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        try await readByName(Self.type, resources) {
            try await listNames(client, .cognitoIdentity, "ListIdentityPools", items: "IdentityPools", id: "IdentityPoolId", name: "IdentityPoolName")
        }
    }
}

// MARK: DynamoDB: BatchGetItem, 100 keys a call

extension DynamoItems: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { "region" }

    /// Reads the items 100 keys a call (consistent reads); keys DynamoDB leaves unprocessed
    /// are asked again, a few times with a growing pause, as the SDKs do.
    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        let targets = try resources.map { try target(Inputs($0.attributes)) }
        var unique: [String: Target] = [:]
        var recordedItems: [String: [String: Value]] = [:]
        for (t, r) in zip(targets, resources) {
            unique[t.id] = t
            recordedItems[t.id] = Inputs(r.attributes).map("item")
        }
        var found: [String: ResourceObject] = [:]
        let ids = unique.keys.sorted()
        var start = 0
        while start < ids.count {
            var pending = Array(ids[start..<min(start + 100, ids.count)])
            start += 100
            var attempt = 0
            while !pending.isEmpty {
                var byTable: [String: [Value]] = [:]
                for id in pending {
                    let t = unique[id]!
                    byTable[t.table, default: []].append(.map(t.key.mapValues(Self.encode)))
                }
                let request = byTable.mapValues { keys -> Value in .map(["Keys": .list(keys), "ConsistentRead": true]) }
                guard
                    let out = try await unlessMissing(
                        ["ResourceNotFoundException"], { try await client.call(.dynamodb, "BatchGetItem", ["RequestItems": .map(request)]) })
                else {
                    // A table is gone: read this batch's items one by one (each answers for its own table).
                    for id in pending { found[id] = try await fetch(unique[id]!, like: recordedItems[id]) }
                    break
                }
                for (table, items) in out["Responses"]?.mapValue ?? [:] {
                    for item in items.listValue ?? [] {
                        guard let m = item.mapValue else { continue }
                        let decoded = m.mapValues(Self.decode)
                        // The item's key, with the key attribute names of the targets of this table.
                        for id in pending where unique[id]!.table == table {
                            let t = unique[id]!
                            guard t.key.allSatisfy({ decoded[$0.key]?.revealed == $0.value.revealed }) else { continue }
                            let rest = Self.item(decoded, key: t.key, like: recordedItems[id])
                            found[id] = ResourceObject(
                                type: Self.type, id: id, attributes: ["table": .string(table), "key": .map(t.key), "item": .map(rest)])
                        }
                    }
                }
                var again: [String] = []
                for (table, entry) in out["UnprocessedKeys"]?.mapValue ?? [:] {
                    for key in entry.mapValue?["Keys"]?.listValue ?? [] {
                        let decoded = (key.mapValue ?? [:]).mapValues(Self.decode)
                        again += pending.filter { id in
                            let t = unique[id]!
                            return t.table == table && t.key.allSatisfy { decoded[$0.key]?.revealed == $0.value.revealed }
                        }
                    }
                }
                pending = again
                attempt += 1
                if !pending.isEmpty {
                    guard attempt < 6 else {
                        throw ProviderDiagnostic.error(
                            "DynamoDB BatchGetItem left \(pending.count) keys unprocessed after \(attempt) attempts",
                            detail: "the tables' read capacity is exhausted; plan again later, or with --refresh=false", code: "UnprocessedKeys",
                            retryable: true)
                    }
                    try await Task.sleep(nanoseconds: UInt64(50_000_000 << attempt))
                }
            }
        }
        return targets.map { found[$0.id] }
    }
}
