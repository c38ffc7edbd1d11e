import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    /// `aws.cognito_user_group` and `aws.cognito_user` against moto, planned through the engine.
    @Suite struct CognitoUserTests {
        func call(_ operation: String, _ body: [String: Value]) async throws -> [String: Value] {
            let data = try await Moto.client().json(.cognitoIdentityProvider, operation: operation, body: Data(JSON.serialize(.map(body))))
            return data.isEmpty ? [:] : (try JSON.parse(Array(data))).mapValue ?? [:]
        }

        @Test func groupLifecycle() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let t = Tenant()
            let pool = try await Fixtures(client: try Moto.client()).userPool("\(t.id)-users")
            let props: [String: Value] = ["userPoolId": .string(pool), "name": "tenant", "description": "Tenant admins", "precedence": 1]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.userGroup, "group", props))
            #expect(created.id == "\(pool)/tenant")
            #expect(try await provider.planned(created, props, tenant: t) == "noop")

            // Update in place.
            var changed = props
            changed["description"] = "Admins"
            changed["precedence"] = 2
            #expect(try await provider.planned(created, changed, tenant: t) == "update description,precedence")
            let updated = try await provider.applyOK(t.update(created, "group", changed))
            let got = try await call("GetGroup", ["UserPoolId": .string(pool), "GroupName": "tenant"])["Group"]?.mapValue
            #expect(got?["Description"] == "Admins" && got?["Precedence"] == 2)
            #expect(try await provider.planned(updated, changed, tenant: t) == "noop")

            // Drift: changed out of band.
            _ = try await call("UpdateGroup", ["UserPoolId": .string(pool), "GroupName": "tenant", "Description": "edited by hand", "Precedence": 2])
            #expect(try await provider.planned(updated, changed, tenant: t) == "update description")
            let repaired = try await provider.applyOK(t.update(updated, "group", changed))
            #expect(try await provider.planned(repaired, changed, tenant: t) == "noop")

            // Replacement: the name cannot change in place.
            var renamed = changed
            renamed["name"] = "tenant-admins"
            #expect(try await provider.planned(repaired, renamed, tenant: t) == "replace")
            let replacement = try await provider.applyOK(t.create(AWSResourceTypes.userGroup, "group", renamed))
            _ = try await provider.applyOK(t.delete(repaired, "group"))
            #expect(await provider.readOne(repaired) == nil)
            #expect(await provider.readOne(replacement)?.attributes["name"] == "tenant-admins")

            // Adoption after lost state: found by name in its pool; a second create is refused.
            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.userGroup, identity: t.identity("group"), inputs: renamed))
            #expect(found.resources.map(\.id) == [replacement.id])
            let again = await provider.apply(t.create(AWSResourceTypes.userGroup, "group", renamed))
            #expect(again.diagnostics.first?.code == "GroupExistsException")
            #expect(again.diagnostics.first?.detail.contains("landlord import") == true)

            // Destroy, twice (the second finds it gone).
            _ = try await provider.applyOK(t.delete(replacement, "group"))
            #expect(await provider.readOne(replacement) == nil)
            _ = try await provider.applyOK(t.delete(replacement, "group"))
        }

        @Test func userLifecycleWithGroupMembership() async throws {
            try await Moto.reset()
            let transport = MotoRecordingTransport()
            let provider = AWSProvider(settings: ["region": "us-east-1"], environment: Moto.environment, transport: transport)
            let t = Tenant()
            let pool = try await Fixtures(client: try Moto.client()).userPool("\(t.id)-users")
            for g in ["tenant", "billing"] {
                _ = try await provider.applyOK(t.create(AWSResourceTypes.userGroup, g, ["userPoolId": .string(pool), "name": .string(g)]))
            }
            let props: [String: Value] = [
                "userPoolId": .string(pool), "username": "admin",
                "attributes": ["email": "admin@acme.example", "email_verified": true], "groups": ["tenant"],
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.user, "admin", props))
            #expect(created.id == "\(pool)/admin")
            #expect(created.attributes["sub"]?.stringValue?.isEmpty == false)
            #expect(created.attributes["status"] == "FORCE_CHANGE_PASSWORD")
            // No invitation mail unless sendInvite: true.
            #expect(transport.bodies(of: "AdminCreateUser").map { $0["MessageAction"] } == ["SUPPRESS"])
            let membership = { () async throws -> [String] in
                (try await call("AdminListGroupsForUser", ["UserPoolId": .string(pool), "Username": "admin"])["Groups"]?.listValue ?? [])
                    .compactMap { $0.mapValue?["GroupName"]?.stringValue }.sorted()
            }
            #expect(try await membership() == ["tenant"])
            #expect(try await provider.planned(created, props, tenant: t) == "noop")

            // Update in place: attributes and membership converge.
            var changed = props
            changed["attributes"] = ["email": "owner@acme.example", "email_verified": true, "name": "Acme Owner"]
            changed["groups"] = ["billing"]
            #expect(try await provider.planned(created, changed, tenant: t) == "update attributes,groups")
            let updated = try await provider.applyOK(t.update(created, "admin", changed))
            #expect(updated.attributes["sub"] == created.attributes["sub"])
            #expect(try await membership() == ["billing"])
            let user = try await call("AdminGetUser", ["UserPoolId": .string(pool), "Username": "admin"])
            let held = Dictionary(
                uniqueKeysWithValues: (user["UserAttributes"]?.listValue ?? []).compactMap { a in
                    a.mapValue.flatMap { m in m["Name"]?.stringValue.map { ($0, m["Value"]?.stringValue ?? "") } }
                })
            #expect(held["email"] == "owner@acme.example" && held["name"] == "Acme Owner")
            #expect(try await provider.planned(updated, changed, tenant: t) == "noop")

            // Drift: added to a group and an attribute edited out of band.
            _ = try await call("AdminAddUserToGroup", ["UserPoolId": .string(pool), "Username": "admin", "GroupName": "tenant"])
            _ = try await call(
                "AdminUpdateUserAttributes",
                ["UserPoolId": .string(pool), "Username": "admin", "UserAttributes": [["Name": "name", "Value": "Mallory"]]])
            #expect(try await provider.planned(updated, changed, tenant: t) == "update attributes,groups")
            let repaired = try await provider.applyOK(t.update(updated, "admin", changed))
            #expect(try await membership() == ["billing"])
            #expect(try await provider.planned(repaired, changed, tenant: t) == "noop")

            // Replacement: the username cannot change.
            var renamed = changed
            renamed["username"] = "owner"
            #expect(try await provider.planned(repaired, renamed, tenant: t) == "replace")

            // Adoption after lost state: found by username; a second create is refused.
            let found = await provider.importResources(ImportRequest(type: AWSResourceTypes.user, identity: t.identity("admin"), inputs: changed))
            #expect(found.resources.map(\.id) == [created.id])
            #expect(found.resources.first?.attributes["groups"] == ["billing"])
            let again = await provider.apply(t.create(AWSResourceTypes.user, "admin", changed))
            #expect(again.diagnostics.first?.code == "UsernameExistsException")

            // sendInvite: true lets Cognito send its invitation, by email when there is an address.
            var invited = props
            invited["username"] = "second"
            invited["sendInvite"] = true
            let second = try await provider.applyOK(t.create(AWSResourceTypes.user, "second", invited))
            let invite = try #require(transport.bodies(of: "AdminCreateUser").last)
            #expect(invite["MessageAction"] == nil && invite["DesiredDeliveryMediums"] == ["EMAIL"])
            #expect(try await provider.planned(second, invited, tenant: t) == "noop")

            // A group that does not exist is a diagnostic naming it.
            var bad = changed
            bad["groups"] = ["nope"]
            let failed = await provider.apply(t.update(repaired, "admin", bad))
            #expect(failed.diagnostics.first?.summary.contains("no group 'nope'") == true)

            _ = try await provider.applyOK(t.delete(repaired, "admin"))
            #expect(await provider.readOne(repaired) == nil)
            _ = try await provider.applyOK(t.delete(repaired, "admin"))
        }
    }
}
