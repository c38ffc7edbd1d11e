import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.cognito_user_pool`: CreateUserPool (tagged), MFA changed in place through
/// SetUserPoolMfaConfig, found after a crash by ListUserPools + the pool's tags.
struct UserPools: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.userPool

    func mfa(_ inputs: Inputs) throws -> String {
        let mfa = (inputs.optionalString("mfa") ?? "OFF").uppercased()
        guard ["OFF", "OPTIONAL", "ON"].contains(mfa) else { throw InputError(attribute: "mfa", message: "'mfa' must be OFF, OPTIONAL or ON") }
        return mfa
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let mfa = try mfa(inputs)
        let out = try await client.call(
            .cognitoIdentityProvider, "CreateUserPool",
            [
                "PoolName": .string(try inputs.string("name")), "UserPoolTags": .map(request.identity.tags.mapValues(Value.string)),
            ], retryUnanswered: false)
        guard let pool = out["UserPool"]?.mapValue, let id = pool["Id"]?.stringValue else {
            throw AWSError(.unparseableResponse, message: "CreateUserPool returned no Id", service: "cognito-idp", operation: "CreateUserPool")
        }
        if mfa != "OFF" { try await setMFA(id, mfa) }
        var attributes = request.inputs
        attributes["id"] = .string(id)
        attributes["arn"] = pool["Arn"] ?? .null
        return ResourceObject(type: Self.type, id: id, attributes: attributes)
    }

    func setMFA(_ id: String, _ mfa: String) async throws {
        var body: [String: Value] = ["UserPoolId": .string(id), "MfaConfiguration": .string(mfa)]
        if mfa != "OFF" { body["SoftwareTokenMfaConfiguration"] = ["Enabled": true] }
        _ = try await client.call(.cognitoIdentityProvider, "SetUserPoolMfaConfig", body)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        try await setMFA(prior.id, try mfa(inputs))
        var attributes = request.inputs
        attributes["id"] = .string(prior.id)
        attributes["arn"] = prior.attributes["arn"] ?? .null
        return ResourceObject(type: Self.type, id: prior.id, attributes: attributes)
    }

    func delete(_ prior: ResourceObject) async throws {
        _ = try await unlessMissing(["ResourceNotFoundException"]) {
            try await client.call(.cognitoIdentityProvider, "DeleteUserPool", ["UserPoolId": .string(prior.id)])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? { try await describe(resource.id)?.object }

    func describe(_ id: String) async throws -> TaggedObject? {
        guard
            let out = try await unlessMissing(
                ["ResourceNotFoundException"], { try await client.call(.cognitoIdentityProvider, "DescribeUserPool", ["UserPoolId": .string(id)]) })
        else { return nil }
        guard let pool = out["UserPool"]?.mapValue else { return nil }
        let a: [String: Value] = [
            "id": .string(id), "arn": pool["Arn"] ?? .null, "name": pool["Name"] ?? .null, "mfa": pool["MfaConfiguration"] ?? "OFF",
        ]
        var tags: [String: String] = [:]
        for (k, v) in pool["UserPoolTags"]?.mapValue ?? [:] { tags[k] = v.stringValue ?? "" }
        return TaggedObject(object: ResourceObject(type: Self.type, id: id, attributes: a), tags: tags)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id { return try await describe(id).map { [$0.object] } ?? [] }
        return try await client.findTagged(
            .cognitoIdentityProvider, list: "ListUserPools", itemsKey: "UserPools", idKey: "Id", nameKey: "Name",
            name: Inputs(request.inputs).optionalString("name"), identity: request.identity, describe: describe)
    }
}

/// `aws.cognito_user_pool_client`: an app client. Not taggable: found by pool + name. The
/// secret is returned only wrapped in `Value.sensitive`.
struct UserPoolClients: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.userPoolClient

    func object(_ c: [String: Value], poolId: String) -> ResourceObject {
        let id = c["ClientId"]?.stringValue ?? ""
        var a: [String: Value] = ["id": .string(id), "userPoolId": .string(poolId), "name": c["ClientName"] ?? .null]
        a["callbackUrls"] = c["CallbackURLs"] ?? .list([])
        if let secret = c["ClientSecret"], secret != .null {
            a["clientSecret"] = .sensitive(secret)
            a["generateSecret"] = true
        } else {
            a["clientSecret"] = .null
            a["generateSecret"] = false
        }
        return ResourceObject(type: Self.type, id: id, attributes: a)
    }

    func settable(_ inputs: Inputs) throws -> [String: Value] {
        var body: [String: Value] = ["ClientName": .string(try inputs.string("name"))]
        let urls = inputs.strings("callbackUrls")
        if !urls.isEmpty { body["CallbackURLs"] = .list(urls.map(Value.string)) }
        return body
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let pool = try inputs.string("userPoolId")
        var body = try settable(inputs)
        body["UserPoolId"] = .string(pool)
        body["GenerateSecret"] = .bool(inputs.optionalBool("generateSecret") ?? false)
        let out = try await client.call(.cognitoIdentityProvider, "CreateUserPoolClient", body, retryUnanswered: false)
        guard let c = out["UserPoolClient"]?.mapValue, c["ClientId"]?.stringValue != nil else {
            throw AWSError(
                .unparseableResponse, message: "CreateUserPoolClient returned no ClientId", service: "cognito-idp",
                operation: "CreateUserPoolClient")
        }
        let made = object(c, poolId: pool)
        var attributes = request.inputs
        attributes["id"] = made.attributes["id"]
        attributes["clientSecret"] = made.attributes["clientSecret"]
        return ResourceObject(type: Self.type, id: made.id, attributes: attributes)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        var body = try settable(inputs)
        body["UserPoolId"] = .string(try inputs.string("userPoolId"))
        body["ClientId"] = .string(prior.id)
        _ = try await client.call(.cognitoIdentityProvider, "UpdateUserPoolClient", body)
        var attributes = request.inputs
        attributes["id"] = .string(prior.id)
        attributes["clientSecret"] = prior.attributes["clientSecret"] ?? .null
        return ResourceObject(type: Self.type, id: prior.id, attributes: attributes)
    }

    func delete(_ prior: ResourceObject) async throws {
        let pool = try Inputs(prior.attributes).string("userPoolId")
        _ = try await unlessMissing(["ResourceNotFoundException"]) {
            try await client.call(.cognitoIdentityProvider, "DeleteUserPoolClient", ["UserPoolId": .string(pool), "ClientId": .string(prior.id)])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        try await describe(pool: try Inputs(resource.attributes).string("userPoolId"), id: resource.id)
    }

    func describe(pool: String, id: String) async throws -> ResourceObject? {
        let out = try await unlessMissing(["ResourceNotFoundException"]) {
            try await client.call(.cognitoIdentityProvider, "DescribeUserPoolClient", ["UserPoolId": .string(pool), "ClientId": .string(id)])
        }
        return out?["UserPoolClient"]?.mapValue.map { object($0, poolId: pool) }
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        let inputs = Inputs(request.inputs)
        let pool = try inputs.string("userPoolId")
        if let id = request.id { return try await describe(pool: pool, id: id).map { [$0] } ?? [] }
        let name = try inputs.string("name")
        var found: [ResourceObject] = []
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["UserPoolId": .string(pool), "MaxResults": 60]
            if token != .null { body["NextToken"] = token }
            guard
                let out = try await unlessMissing(
                    ["ResourceNotFoundException"], { try await client.call(.cognitoIdentityProvider, "ListUserPoolClients", body) })
            else { return [] }
            for c in out["UserPoolClients"]?.listValue ?? [] {
                guard let m = c.mapValue, m["ClientName"]?.stringValue == name, let id = m["ClientId"]?.stringValue else { continue }
                if let object = try await describe(pool: pool, id: id) { found.append(object) }
            }
            token = out["NextToken"] ?? .null
        } while token != .null
        return found
    }
}

/// `aws.cognito_identity_pool`: name, unauthenticated access and the user pool provider
/// change in place (UpdateIdentityPool); found by ListIdentityPools + the pool's tags.
struct IdentityPools: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.identityPool

    func settable(_ inputs: Inputs) throws -> [String: Value] {
        var body: [String: Value] = [
            "IdentityPoolName": .string(try inputs.string("name")),
            "AllowUnauthenticatedIdentities": .bool(inputs.optionalBool("allowUnauthenticated") ?? false),
        ]
        if let pool = inputs.optionalString("userPoolId"), let clientId = inputs.optionalString("clientId") {
            let region = inputs.optionalString("region") ?? client.region
            body["CognitoIdentityProviders"] = [
                [
                    "ProviderName": .string("cognito-idp.\(region).amazonaws.com/\(pool)"), "ClientId": .string(clientId),
                    "ServerSideTokenCheck": false,
                ]
            ]
        } else {
            body["CognitoIdentityProviders"] = .list([])
        }
        return body
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        var body = try settable(Inputs(request.inputs))
        body["IdentityPoolTags"] = .map(request.identity.tags.mapValues(Value.string))
        let out = try await client.call(.cognitoIdentity, "CreateIdentityPool", body, retryUnanswered: false)
        guard let id = out["IdentityPoolId"]?.stringValue else {
            throw AWSError(
                .unparseableResponse, message: "CreateIdentityPool returned no IdentityPoolId", service: "cognito-identity",
                operation: "CreateIdentityPool")
        }
        var attributes = request.inputs
        attributes["id"] = .string(id)
        return ResourceObject(type: Self.type, id: id, attributes: attributes)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        var body = try settable(Inputs(request.inputs))
        body["IdentityPoolId"] = .string(prior.id)
        _ = try await client.call(.cognitoIdentity, "UpdateIdentityPool", body)
        var attributes = request.inputs
        attributes["id"] = .string(prior.id)
        return ResourceObject(type: Self.type, id: prior.id, attributes: attributes)
    }

    func delete(_ prior: ResourceObject) async throws {
        _ = try await unlessMissing(["ResourceNotFoundException"]) {
            try await client.call(.cognitoIdentity, "DeleteIdentityPool", ["IdentityPoolId": .string(prior.id)])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? { try await describe(resource.id)?.object }

    func describe(_ id: String) async throws -> TaggedObject? {
        guard
            let out = try await unlessMissing(
                ["ResourceNotFoundException"], { try await client.call(.cognitoIdentity, "DescribeIdentityPool", ["IdentityPoolId": .string(id)]) })
        else { return nil }
        var a: [String: Value] = [
            "id": .string(id), "name": out["IdentityPoolName"] ?? .null, "allowUnauthenticated": out["AllowUnauthenticatedIdentities"] ?? false,
        ]
        a["userPoolId"] = .null
        a["clientId"] = .null
        a["region"] = .null
        if let p = out["CognitoIdentityProviders"]?.listValue?.first?.mapValue, let provider = p["ProviderName"]?.stringValue {
            // cognito-idp.REGION.amazonaws.com/POOL
            let parts = provider.split(separator: "/")
            a["userPoolId"] = parts.last.map { .string(String($0)) } ?? .null
            a["clientId"] = p["ClientId"] ?? .null
            let host = parts.first.map(String.init) ?? ""
            a["region"] = host.split(separator: ".").dropFirst().first.map { .string(String($0)) } ?? .null
        }
        var tags: [String: String] = [:]
        for (k, v) in out["IdentityPoolTags"]?.mapValue ?? [:] { tags[k] = v.stringValue ?? "" }
        return TaggedObject(object: ResourceObject(type: Self.type, id: id, attributes: a), tags: tags)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id { return try await describe(id).map { [$0.object] } ?? [] }
        return try await client.findTagged(
            .cognitoIdentity, list: "ListIdentityPools", itemsKey: "IdentityPools", idKey: "IdentityPoolId", nameKey: "IdentityPoolName",
            name: Inputs(request.inputs).optionalString("name"), identity: request.identity, describe: describe)
    }
}
