import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.cognito_user_group`: CreateGroup; description and precedence change in place through
/// UpdateGroup. Groups carry no tags: the id is `POOL/NAME` and adoption finds the group by
/// its name in the pool.
struct UserGroups: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.userGroup

    func body(_ inputs: Inputs) throws -> [String: Value] {
        var body: [String: Value] = ["UserPoolId": .string(try inputs.string("userPoolId")), "GroupName": .string(try inputs.string("name"))]
        body["Description"] = .string(inputs.optionalString("description") ?? "")
        if let p = inputs.optionalInt("precedence") {
            guard p >= 0 else { throw InputError(attribute: "precedence", message: "'precedence' must be 0 or more") }
            body["Precedence"] = .int(p)
        }
        return body
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        do {
            _ = try await client.call(.cognitoIdentityProvider, "CreateGroup", try body(inputs))
        } catch let e as AWSError where e.code == "GroupExistsException" {
            throw ProviderDiagnostic.error(
                "create \(Self.type) \(request.identity.address): the pool already has a group '\(try inputs.string("name"))'",
                detail: "import it (`landlord import`) or choose another group name", attribute: "name", code: e.code)
        }
        return ResourceObject(type: Self.type, id: "\(try inputs.string("userPoolId"))/\(try inputs.string("name"))", attributes: request.inputs)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        _ = try await client.call(.cognitoIdentityProvider, "UpdateGroup", try body(Inputs(request.inputs)))
        return ResourceObject(type: Self.type, id: prior.id, attributes: request.inputs)
    }

    func delete(_ prior: ResourceObject) async throws {
        let inputs = Inputs(prior.attributes)
        let body: [String: Value] = ["UserPoolId": .string(try inputs.string("userPoolId")), "GroupName": .string(try inputs.string("name"))]
        _ = try await unlessMissing(["ResourceNotFoundException"]) { try await client.call(.cognitoIdentityProvider, "DeleteGroup", body) }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        let inputs = Inputs(resource.attributes)
        return try await fetch(pool: try inputs.string("userPoolId"), name: try inputs.string("name"))
    }

    func fetch(pool: String, name: String) async throws -> ResourceObject? {
        let body: [String: Value] = ["UserPoolId": .string(pool), "GroupName": .string(name)]
        guard let out = try await unlessMissing(["ResourceNotFoundException"], { try await client.call(.cognitoIdentityProvider, "GetGroup", body) }),
            let g = out["Group"]?.mapValue
        else { return nil }
        return Self.object(pool: pool, name: name, g)
    }

    /// The group as GetGroup or ListGroups describes it (`GroupType`).
    static func object(pool: String, name: String, _ g: [String: Value]) -> ResourceObject {
        let description = g["Description"]?.stringValue ?? ""
        let a: [String: Value] = [
            "userPoolId": .string(pool), "name": .string(name), "description": description.isEmpty ? .null : .string(description),
            "precedence": g["Precedence"] ?? .null,
        ]
        return ResourceObject(type: Self.type, id: "\(pool)/\(name)", attributes: a)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        var inputs = request.inputs
        if let id = request.id, let slash = id.firstIndex(of: "/") {
            inputs["userPoolId"] = .string(String(id[..<slash]))
            inputs["name"] = .string(String(id[id.index(after: slash)...]))
        }
        let i = Inputs(inputs)
        return try await fetch(pool: try i.string("userPoolId"), name: try i.string("name")).map { [$0] } ?? []
    }
}

/// `aws.cognito_user`: AdminCreateUser (MessageAction SUPPRESS unless `sendInvite`), its
/// attributes updated with AdminUpdateUserAttributes / AdminDeleteUserAttributes, its group
/// membership converged with AdminAddUserToGroup / AdminRemoveUserFromGroup against what
/// AdminListGroupsForUser reports. Users carry no tags: the id is `POOL/USERNAME` and adoption
/// finds the user by username in the pool. Only the attributes the spec sets are compared
/// (Cognito adds `sub` and others of its own).
struct Users: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.user
    static let missing: Set<String> = ["UserNotFoundException", "ResourceNotFoundException"]

    /// An attribute value as Cognito holds it: a string (`true`, `42`).
    static func text(_ v: Value) -> String {
        switch v.revealed {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: return v.revealed.interpolationText
        }
    }

    func key(_ inputs: Inputs) throws -> (pool: String, username: String) {
        (try inputs.string("userPoolId"), try inputs.string("username"))
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let (pool, username) = try key(inputs)
        var body: [String: Value] = [
            "UserPoolId": .string(pool), "Username": .string(username),
            "UserAttributes": .list(
                (inputs.map("attributes") ?? [:]).sorted { $0.key < $1.key }.map { attribute -> Value in
                    ["Name": .string(attribute.key), "Value": .string(Self.text(attribute.value))]
                }),
        ]
        if inputs.optionalBool("sendInvite") == true {
            // Cognito's default medium is SMS; an invitation goes where the user can be reached.
            let attributes = inputs.map("attributes") ?? [:]
            let mediums = (attributes["email"] != nil ? ["EMAIL"] : []) + (attributes["phone_number"] != nil ? ["SMS"] : [])
            if !mediums.isEmpty { body["DesiredDeliveryMediums"] = .list(mediums.map(Value.string)) }
        } else {
            body["MessageAction"] = "SUPPRESS"
        }
        do {
            _ = try await client.call(.cognitoIdentityProvider, "AdminCreateUser", body)
        } catch let e as AWSError where e.code == "UsernameExistsException" {
            throw ProviderDiagnostic.error(
                "create \(Self.type) \(request.identity.address): the pool already has a user '\(username)'",
                detail: "import it (`landlord import`) or choose another username", attribute: "username", code: e.code)
        }
        try await converge(pool: pool, username: username, groups: inputs.strings("groups"))
        return try await result(request.inputs, pool: pool, username: username)
    }

    /// The inputs plus the computed `sub` and `status` as Cognito now reports them.
    func result(_ inputs: [String: Value], pool: String, username: String) async throws -> ResourceObject {
        guard let now = try await fetch(pool: pool, username: username, like: inputs) else {
            throw AWSError(
                code: "UserNotFoundException", message: "the user vanished right after it was written", service: "cognito-idp",
                operation: "AdminGetUser")
        }
        var a = inputs
        a["sub"] = now.attributes["sub"] ?? .null
        a["status"] = now.attributes["status"] ?? .null
        return ResourceObject(type: Self.type, id: now.id, attributes: a)
    }

    func groups(pool: String, username: String) async throws -> [String] {
        var out: [String] = []
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["UserPoolId": .string(pool), "Username": .string(username), "Limit": 60]
            if token != .null { body["NextToken"] = token }
            let page = try await client.call(.cognitoIdentityProvider, "AdminListGroupsForUser", body)
            out += (page["Groups"]?.listValue ?? []).compactMap { $0.mapValue?["GroupName"]?.stringValue }
            token = page["NextToken"] ?? .null
        } while token != .null
        return out
    }

    /// Adds the user to the groups it should be in and removes it from the others.
    func converge(pool: String, username: String, groups wanted: [String]) async throws {
        let current = Set(try await groups(pool: pool, username: username))
        let base: [String: Value] = ["UserPoolId": .string(pool), "Username": .string(username)]
        for g in wanted where !current.contains(g) {
            var body = base
            body["GroupName"] = .string(g)
            do {
                _ = try await client.call(.cognitoIdentityProvider, "AdminAddUserToGroup", body)
            } catch let e as AWSError where e.code == "ResourceNotFoundException" {
                throw ProviderDiagnostic.error(
                    "\(Self.type) \(username): the pool has no group '\(g)'",
                    detail:
                        "create it first (an aws.cognito_user_group the user depends on: reference it as ${GROUP.name}) or fix the name in 'groups'",
                    attribute: "groups", code: e.code)
            }
        }
        for g in current.subtracting(wanted).sorted() {
            var body = base
            body["GroupName"] = .string(g)
            _ = try await client.call(.cognitoIdentityProvider, "AdminRemoveUserFromGroup", body)
        }
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let (pool, username) = try key(inputs)
        let wanted = inputs.map("attributes") ?? [:]
        let before = Inputs(prior.attributes).map("attributes") ?? [:]
        // Every attribute the spec sets is written, not only what differs from state: an
        // update also repairs attributes changed out of band.
        let changed = wanted
        let base: [String: Value] = ["UserPoolId": .string(pool), "Username": .string(username)]
        if !changed.isEmpty {
            var body = base
            body["UserAttributes"] = .list(
                changed.sorted { $0.key < $1.key }.map { ["Name": .string($0.key), "Value": .string(Self.text($0.value))] })
            _ = try await client.call(.cognitoIdentityProvider, "AdminUpdateUserAttributes", body)
        }
        let removed = Set(before.keys).subtracting(wanted.keys).sorted()
        if !removed.isEmpty {
            var body = base
            body["UserAttributeNames"] = .list(removed.map(Value.string))
            _ = try await client.call(.cognitoIdentityProvider, "AdminDeleteUserAttributes", body)
        }
        try await converge(pool: pool, username: username, groups: inputs.strings("groups"))
        return try await result(request.inputs, pool: pool, username: username)
    }

    func delete(_ prior: ResourceObject) async throws {
        let (pool, username) = try key(Inputs(prior.attributes))
        _ = try await unlessMissing(Self.missing) {
            try await client.call(.cognitoIdentityProvider, "AdminDeleteUser", ["UserPoolId": .string(pool), "Username": .string(username)])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        let (pool, username) = try key(Inputs(resource.attributes))
        return try await fetch(pool: pool, username: username, like: resource.attributes)
    }

    /// The user as Cognito has it. `like` (the recorded or requested attributes) says which
    /// user attributes to report and how they were typed; the group list keeps its order when
    /// membership is the same.
    func fetch(pool: String, username: String, like recorded: [String: Value]) async throws -> ResourceObject? {
        guard let out = try await adminGetUser(pool: pool, username: username) else { return nil }
        let member = try await groups(pool: pool, username: username)
        return Self.object(
            pool: pool, username: username, attributes: out["UserAttributes"], status: out["UserStatus"], member: member, like: recorded)
    }

    /// AdminGetUser's answer, nil when the user (or its pool) is gone.
    func adminGetUser(pool: String, username: String) async throws -> [String: Value]? {
        try await unlessMissing(Self.missing) {
            try await client.call(.cognitoIdentityProvider, "AdminGetUser", ["UserPoolId": .string(pool), "Username": .string(username)])
        }
    }

    /// The user from its attribute list (`[{Name, Value}]`, as AdminGetUser, ListUsers and
    /// ListUsersInGroup return it), status and the groups it is in.
    static func object(pool: String, username: String, attributes list: Value?, status: Value?, member: [String], like recorded: [String: Value])
        -> ResourceObject
    {
        var held: [String: String] = [:]
        for item in list?.listValue ?? [] {
            if let m = item.mapValue, let name = m["Name"]?.stringValue { held[name] = m["Value"]?.stringValue ?? "" }
        }
        var attributes: [String: Value] = [:]
        for (k, v) in recorded["attributes"]?.revealed.mapValue ?? [:] {
            guard let now = held[k] else { continue }
            attributes[k] = now == Self.text(v) ? v : .string(now)
        }
        let wantedGroups = recorded["groups"]?.revealed.listValue ?? []
        let groups: Value =
            Set(member) == Set(wantedGroups.map(Self.text)) && member.count == wantedGroups.count
            ? .list(wantedGroups) : .list(member.sorted().map(Value.string))
        let a: [String: Value] = [
            "userPoolId": .string(pool), "username": .string(username), "attributes": .map(attributes), "groups": groups,
            "sub": held["sub"].map(Value.string) ?? .null, "status": status ?? .null,
        ]
        return ResourceObject(type: Self.type, id: "\(pool)/\(username)", attributes: a)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        var inputs = request.inputs
        if let id = request.id, let slash = id.firstIndex(of: "/") {
            inputs["userPoolId"] = .string(String(id[..<slash]))
            inputs["username"] = .string(String(id[id.index(after: slash)...]))
        }
        let (pool, username) = try key(Inputs(inputs))
        return try await fetch(pool: pool, username: username, like: inputs).map { [$0] } ?? []
    }
}
