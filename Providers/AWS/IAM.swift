import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.iam_role` over IAM's Query protocol (a global service: signed for us-east-1). The role
/// is created tagged (`Tags.member.N`) and found after a crash by its name and those tags.
/// The trust policy changes in place (UpdateAssumeRolePolicy), as does the session duration
/// (UpdateRole) and every inline policy (PutRolePolicy / DeleteRolePolicy). Policies go on the
/// wire as JSON and come back URL-encoded; they are decoded and compared as documents, so key
/// order and whitespace never show as drift. Delete removes the inline policies first, as IAM
/// requires.
struct IAMRoles: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.iamRole
    static let missing: Set<String> = ["NoSuchEntity"]

    /// A policy document as IAM takes it.
    static func document(_ v: Value, attribute: String) throws -> String {
        guard case .map(let m) = v.revealed, !m.isEmpty else {
            throw InputError(attribute: attribute, message: "'\(attribute)' must be a policy document (a map with Version and Statement)")
        }
        return JSON.string(.map(m))
    }

    /// A policy document as IAM returns it (URL-encoded JSON), as a value.
    static func decode(_ text: String) -> Value {
        let plain = text.removingPercentEncoding ?? text
        return (try? JSON.parse(plain)) ?? (try? JSON.parse(text)) ?? .string(plain)
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let name = try inputs.string("name")
        var p = QueryParams()
        p["RoleName"] = name
        p["AssumeRolePolicyDocument"] = try Self.document(inputs.values["assumeRolePolicy"] ?? .null, attribute: "assumeRolePolicy")
        if let d = inputs.optionalInt("maxSessionDuration") { p["MaxSessionDuration"] = String(d) }
        p.tags(request.identity.tags)
        let root: XMLNode
        do {
            root = try await client.query(.iam, action: "CreateRole", p.values)
        } catch let e as AWSError where e.code == "EntityAlreadyExists" {
            throw ProviderDiagnostic.error(
                "create \(Self.type) \(request.identity.address): a role named '\(name)' already exists and is not this resource's",
                detail: "import it (`landlord import`) or choose another role name", attribute: "name", code: e.code)
        }
        let policies = try policies(inputs)
        for (policy, doc) in policies.sorted(by: { $0.key < $1.key }) { try await put(role: name, policy: policy, doc) }
        var a = request.inputs
        a["arn"] = root.first(named: "Arn").map { .string($0.text) } ?? .null
        return ResourceObject(type: Self.type, id: name, attributes: a)
    }

    func policies(_ inputs: Inputs) throws -> [String: String] {
        var out: [String: String] = [:]
        for (name, doc) in inputs.map("inlinePolicies") ?? [:] { out[name] = try Self.document(doc, attribute: "inlinePolicies") }
        return out
    }

    func put(role: String, policy: String, _ doc: String) async throws {
        _ = try await client.query(.iam, action: "PutRolePolicy", ["RoleName": role, "PolicyName": policy, "PolicyDocument": doc])
    }

    func policyNames(_ role: String) async throws -> [String] {
        var names: [String] = []
        var marker: String?
        repeat {
            var p = ["RoleName": role]
            if let marker { p["Marker"] = marker }
            let root = try await client.query(.iam, action: "ListRolePolicies", p)
            names += root.members("ListRolePoliciesResult", "PolicyNames").map(\.text)
            marker = root.string("ListRolePoliciesResult", "IsTruncated") == "true" ? root.string("ListRolePoliciesResult", "Marker") : nil
        } while marker != nil
        return names
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let name = prior.id
        let trust = try Self.document(inputs.values["assumeRolePolicy"] ?? .null, attribute: "assumeRolePolicy")
        let policies = try policies(inputs)
        // Everything is written, not only what differs from state: an update also repairs drift.
        _ = try await client.query(.iam, action: "UpdateAssumeRolePolicy", ["RoleName": name, "PolicyDocument": trust])
        _ = try await client.query(
            .iam, action: "UpdateRole", ["RoleName": name, "MaxSessionDuration": String(inputs.optionalInt("maxSessionDuration") ?? 3600)])
        for (policy, doc) in policies.sorted(by: { $0.key < $1.key }) {
            try await put(role: name, policy: policy, doc)
        }
        for policy in try await policyNames(name) where policies[policy] == nil {
            _ = try await unlessMissing(Self.missing) {
                try await client.query(.iam, action: "DeleteRolePolicy", ["RoleName": name, "PolicyName": policy])
            }
        }
        var a = request.inputs
        a["arn"] = prior.attributes["arn"] ?? .null
        return ResourceObject(type: Self.type, id: name, attributes: a)
    }

    func delete(_ prior: ResourceObject) async throws {
        guard let names = try await unlessMissing(Self.missing, { try await policyNames(prior.id) }) else { return }
        for policy in names {
            _ = try await unlessMissing(Self.missing) {
                try await client.query(.iam, action: "DeleteRolePolicy", ["RoleName": prior.id, "PolicyName": policy])
            }
        }
        _ = try await unlessMissing(Self.missing) { try await client.query(.iam, action: "DeleteRole", ["RoleName": prior.id]) }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? { try await describe(resource.id)?.object }

    func describe(_ name: String) async throws -> TaggedObject? {
        guard let root = try await unlessMissing(Self.missing, { try await client.query(.iam, action: "GetRole", ["RoleName": name]) }),
            let role = root.at("GetRoleResult", "Role")
        else { return nil }
        var tags: [String: String] = [:]
        for m in role.members("Tags") { if let k = m.string("Key") { tags[k] = m.string("Value") ?? "" } }
        var inline: [String: Value] = [:]
        for policy in try await policyNames(name) {
            guard
                let doc = try await unlessMissing(
                    Self.missing, { try await client.query(.iam, action: "GetRolePolicy", ["RoleName": name, "PolicyName": policy]) })
            else { continue }
            inline[policy] = Self.decode(doc.string("GetRolePolicyResult", "PolicyDocument") ?? "")
        }
        let a: [String: Value] = [
            "name": .string(name), "arn": role.string("Arn").map(Value.string) ?? .null,
            "assumeRolePolicy": Self.decode(role.string("AssumeRolePolicyDocument") ?? ""),
            "maxSessionDuration": role.string("MaxSessionDuration").flatMap(Int.init).map(Value.int) ?? .null,
            "inlinePolicies": .map(inline),
        ]
        return TaggedObject(object: ResourceObject(type: Self.type, id: name, attributes: a), tags: tags)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id { return try await describe(id).map { [$0.object] } ?? [] }
        guard let d = try await describe(try Inputs(request.inputs).string("name")), tagsMatch(d.tags, request.identity) else { return [] }
        return [d.object]
    }
}
