import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

/// The tenant isolation role of the onboarding workflows: ECS tasks assume it, and it allows
/// DynamoDB access only to items whose partition key is the tenant's id.
enum IsolationRole {
    static let trust: Value = [
        "Version": "2012-10-17",
        "Statement": [["Effect": "Allow", "Principal": ["Service": "ecs-tasks.amazonaws.com"], "Action": "sts:AssumeRole"]],
    ]

    static func policy(tenant: String, table: String = "arn:aws:dynamodb:us-east-1:123456789012:table/tenants") -> Value {
        [
            "Version": "2012-10-17",
            "Statement": [
                [
                    "Sid": "OwnItemsOnly", "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
                    "Resource": .string(table),
                    "Condition": ["ForAllValues:StringEquals": ["dynamodb:LeadingKeys": [.string(tenant)]]],
                ]
            ],
        ]
    }
}

extension MotoTests {
    /// `aws.iam_role` against moto's IAM, planned through the engine.
    @Suite struct IAMTests {
        func query(_ action: String, _ p: [String: String]) async throws -> XMLNode {
            try await Moto.client().query(.iam, action: action, p)
        }

        @Test func roleLifecycleWithInlinePolicies() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let t = Tenant()
            let name = "\(t.id)-isolation"
            let props: [String: Value] = [
                "name": .string(name), "assumeRolePolicy": IsolationRole.trust,
                "inlinePolicies": ["tenant-isolation": IsolationRole.policy(tenant: t.id)], "maxSessionDuration": 3600,
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.iamRole, "role", props))
            #expect(created.id == name)
            #expect(created.attributes["arn"] == .string("arn:aws:iam::123456789012:role/\(name)"))
            // On the wire the policy is the JSON document; IAM returns it URL-encoded.
            let stored = try await query("GetRolePolicy", ["RoleName": name, "PolicyName": "tenant-isolation"])
            let raw = try #require(stored.string("GetRolePolicyResult", "PolicyDocument"))
            #expect(raw.contains("%22"), "moto returns the document URL-encoded, as IAM does")
            #expect(try JSON.parse(raw.removingPercentEncoding!) == IsolationRole.policy(tenant: t.id))
            let tags = try await query("ListRoleTags", ["RoleName": name]).members("ListRoleTagsResult", "Tags")
            #expect(tags.contains { $0.string("Key") == LandlordTag.address && $0.string("Value") == "\(t.id)/role" })
            // Compared as documents: no change.
            #expect(try await provider.planned(created, props, tenant: t) == "noop")

            // Update in place: trust policy, session length, one policy added.
            var changed = props
            changed["maxSessionDuration"] = 7200
            changed["inlinePolicies"] = [
                "tenant-isolation": IsolationRole.policy(tenant: t.id),
                "read-assets": [
                    "Version": "2012-10-17", "Statement": [["Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::assets/*"]],
                ],
            ]
            changed["assumeRolePolicy"] = [
                "Version": "2012-10-17",
                "Statement": [
                    ["Effect": "Allow", "Principal": ["Service": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]], "Action": "sts:AssumeRole"]
                ],
            ]
            #expect(try await provider.planned(created, changed, tenant: t) == "update assumeRolePolicy,inlinePolicies,maxSessionDuration")
            let updated = try await provider.applyOK(t.update(created, "role", changed))
            #expect(updated.attributes["arn"] == created.attributes["arn"])
            #expect(try await provider.planned(updated, changed, tenant: t) == "noop")
            #expect(try await query("GetRole", ["RoleName": name]).string("GetRoleResult", "Role", "MaxSessionDuration") == "7200")

            // Drift: a policy rewritten by hand shows, and the next apply puts it back.
            let widened: Value = ["Version": "2012-10-17", "Statement": [["Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"]]]
            _ = try await query("PutRolePolicy", ["RoleName": name, "PolicyName": "tenant-isolation", "PolicyDocument": JSON.string(widened)])
            #expect(try await provider.planned(updated, changed, tenant: t) == "update inlinePolicies")
            let repaired = try await provider.applyOK(t.update(updated, "role", changed))
            #expect(try await provider.planned(repaired, changed, tenant: t) == "noop")

            // A policy dropped from the spec is deleted from the role.
            var fewer = changed
            fewer["inlinePolicies"] = ["tenant-isolation": IsolationRole.policy(tenant: t.id)]
            let trimmed = try await provider.applyOK(t.update(repaired, "role", fewer))
            #expect(
                try await query("ListRolePolicies", ["RoleName": name]).members("ListRolePoliciesResult", "PolicyNames").map(\.text) == [
                    "tenant-isolation"
                ])

            // Replacement: the name cannot change.
            var renamed = fewer
            renamed["name"] = .string("\(name)-2")
            #expect(try await provider.planned(trimmed, renamed, tenant: t) == "replace")

            // Adoption after lost state: by name and tags; another address's lookup finds nothing.
            let found = await provider.importResources(ImportRequest(type: AWSResourceTypes.iamRole, identity: t.identity("role"), inputs: fewer))
            #expect(found.resources.map(\.id) == [name])
            let other = await provider.importResources(ImportRequest(type: AWSResourceTypes.iamRole, identity: t.identity("other"), inputs: fewer))
            #expect(other.resources.isEmpty && other.diagnostics.isEmpty)
            let again = await provider.apply(t.create(AWSResourceTypes.iamRole, "role", fewer))
            #expect(again.diagnostics.first?.code == "EntityAlreadyExists")

            // Destroy removes the inline policy first (IAM refuses otherwise).
            _ = try await provider.applyOK(t.delete(trimmed, "role"))
            #expect(await provider.readOne(trimmed) == nil)
            _ = try await provider.applyOK(t.delete(trimmed, "role"))
        }
    }
}
