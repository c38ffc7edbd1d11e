import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// `landlord adopt --from-terraform`: the same Lambda-made fleet found through a hand-written
/// Terraform state (examples/migrate/terraform/terraform.tfstate.template, its ids filled in
/// from the simulated cloud), by module address, with hashicorp/aws's types and attributes read
/// back through the shapes the plan export writes.
@Suite struct AdoptionTerraformTests {
    static let template = repoRoot.appendingPathComponent("examples/migrate/terraform/terraform.tfstate.template")

    /// The template with the simulated cloud's ids in place of `@TENANT.pool@` and the like.
    static func state(_ h: Harness) throws -> String {
        var text = try String(contentsOf: template, encoding: .utf8)
        let cloud = try h.cloud()
        func id(_ type: String, _ attribute: String, _ value: String) -> String {
            cloud.first { $0.type == type && $0.attributes[attribute]?.stringValue == value }?.id ?? "missing"
        }
        for t in ["acme", "globex", "initech"] {
            text = text.replacingOccurrences(of: "@\(t).pool@", with: id(AWSResourceTypes.userPool, "name", "\(t)-users"))
            text = text.replacingOccurrences(of: "@\(t).client@", with: id(AWSResourceTypes.userPoolClient, "name", "\(t)-web"))
            text = text.replacingOccurrences(of: "@\(t).identity@", with: id(AWSResourceTypes.identityPool, "name", "\(t)_identities"))
            text = text.replacingOccurrences(of: "@\(t).tg@", with: id(AWSResourceTypes.targetGroup, "name", "t-\(t)-web"))
            text = text.replacingOccurrences(of: "@\(t).rule@", with: id(AWSResourceTypes.listenerRule, "hostHeader", "\(t).tenants.example.com"))
        }
        return text.replacingOccurrences(of: "@listener@", with: AdoptionTests.listener)
            .replacingOccurrences(of: "@zone@", with: "Z0MIGRATE0EXAMPLE").replacingOccurrences(of: "@vpc@", with: "vpc-0migrate0example")
    }

    @Test func aFormatFourStateIsAdoptedByAddressAndApplied() async throws {
        let h = try await AdoptionTests.fleet()
        try h.write("terraform.tfstate", try Self.state(h))
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run([
            "-C", h.dir.path, "adopt", "--from-terraform", h.dir.appendingPathComponent("terraform.tfstate").path, "--out", file,
        ])
        #expect(run.code == 2, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").filter { $0.contains("= adopt") }.count == 27)
        #expect(run.stdout.contains("found by Terraform address module.tenant[\"acme\"].aws_cognito_user_pool.this)"))
        #expect(run.stdout.contains("found by Terraform address module.tenant[\"globex\"].aws_dynamodb_table_item.tenant)"))
        #expect(run.stdout.contains("~ update aws.dynamodb_item \"acme/record\" after adoption: item"))
        #expect(!run.stdout.contains("replace aws."))
        #expect(run.stderr.contains("Read 27 resources"))
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        #expect(try await h.plan().isEmpty)
        #expect(try h.cloud().filter { $0.tags[LandlordTag.tenant] != nil }.count == 12)
    }

    @Test func anotherModuleAddressIsSetByAPattern() async throws {
        let h = try await AdoptionTests.fleet()
        let renamed = try Self.state(h).replacingOccurrences(of: "module.tenant[\\\"", with: "module.customer_")
            .replacingOccurrences(of: "\\\"]\"", with: "\"")
        try h.write("terraform.tfstate", renamed)
        let path = h.dir.appendingPathComponent("terraform.tfstate").path
        let wrong = try await CLI.run(["-C", h.dir.path, "adopt", "--from-terraform", path, "--tenant", "acme"])
        #expect(wrong.code == 1)
        #expect(
            wrong.stderr.contains("acme/users (aws.cognito_user_pool): no aws_cognito_user_pool in module.tenant[\"acme\"] of the Terraform state"))
        let run = try await CLI.run([
            "-C", h.dir.path, "adopt", "--from-terraform", path, "--terraform-address", "module.customer_{id}", "--tenant", "acme",
        ])
        #expect(run.code == 2, "\(run.stderr)")
        #expect(run.stdout.contains("found by Terraform address module.customer_acme.aws_lb_target_group.web)"))
        let bad = try await CLI.run(["-C", h.dir.path, "adopt", "--from-terraform", path, "--terraform-address", "module.customer"])
        #expect(bad.code != 0 && bad.stderr.contains("must hold {id}"))
    }

    @Test func aResourceGoneSinceTheStateWasWrittenLeavesItsTenantOut() async throws {
        let h = try await AdoptionTests.fleet()
        try h.write("terraform.tfstate", try Self.state(h))
        try h.provider.cloud.transact { tx in
            let tg = tx.all(ofType: AWSResourceTypes.targetGroup).first { $0.attributes["name"] == "t-initech-web" }!
            tx.delete(type: tg.type, id: tg.id)
        }
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--from-terraform", h.dir.appendingPathComponent("terraform.tfstate").path])
        #expect(run.code == 1)
        #expect(run.stderr.contains("initech/web_tg (aws.lb_target_group): module.tenant[\"initech\"].aws_lb_target_group.web"))
        #expect(run.stderr.contains("no longer exists"))
        #expect(!run.stdout.contains("Tenant initech"))
        #expect(try await h.store.listTenants().isEmpty)
    }

    @Test func showJSONOutputIsReadLikeTheStateFile() throws {
        let show = """
            {"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"child_modules": [
              {"address": "module.tenant[\\"acme\\"]", "resources": [
                {"address": "module.tenant[\\"acme\\"].aws_route53_record.www", "mode": "managed", "type": "aws_route53_record",
                 "name": "www", "values": {"id": "Z1_acme.example.com_CNAME", "zone_id": "Z1", "name": "acme.example.com",
                 "type": "CNAME", "ttl": 60, "records": ["a.example.com"]}},
                {"address": "module.tenant[\\"acme\\"].data.aws_caller_identity.me", "mode": "data",
                 "type": "aws_caller_identity", "name": "me", "values": {}}]}]}}}
            """
        let resources = try TerraformState.read(Array(show.utf8))
        #expect(resources.count == 1)
        #expect(resources[0].address == "module.tenant[\"acme\"].aws_route53_record.www")
        #expect(TerraformState.tenant(of: resources[0].module, pattern: TerraformStateSource.defaultPattern) == "acme")
        let shape = try #require(AWSTerraformShapes.shapes[AWSResourceTypes.route53Record])
        #expect(
            shape.landlordValues(resources[0].attributes) == [
                "zoneId": "Z1", "name": "acme.example.com", "type": "CNAME", "ttl": 60, "records": ["a.example.com"],
            ])
        #expect(throws: TerraformStateError.self) { try TerraformState.read(Array(#"{"version": 3, "resources": []}"#.utf8)) }
    }

    /// The mapping is written once: what the plan export writes, adoption reads back.
    @Test func theShapesReadBackWhatTheyWrite() throws {
        let cases: [(String, [String: Value])] = [
            (AWSResourceTypes.userPool, ["name": "acme-users", "mfa": "OPTIONAL"]),
            (AWSResourceTypes.targetGroup, ["name": "t-acme", "port": 8080, "protocol": "HTTP", "vpcId": "vpc-1", "healthCheckPath": "/health"]),
            (
                AWSResourceTypes.identityPool,
                [
                    "name": "acme_ids", "allowUnauthenticated": false, "userPoolId": "us-east-1_X", "clientId": "c1",
                    "region": "us-east-1",
                ]
            ),
            (
                AWSResourceTypes.listenerRule,
                ["listener": "arn:l", "priority": 10, "hostHeader": "acme.example.com", "pathPattern": "/api/*", "targetGroupArn": "arn:tg"]
            ),
            (AWSResourceTypes.dynamoItem, ["table": "tenants", "key": ["pk": "tenant#acme"], "item": ["plan": "pro", "seats": 5]]),
        ]
        for (type, attributes) in cases {
            let shape = try #require(AWSTerraformShapes.shapes[type])
            var back = shape.landlordValues(shape.terraformValues(attributes))
            if type == AWSResourceTypes.identityPool { back["region"] = attributes["region"] }  // kept only inside provider_name
            #expect(back == attributes, "\(type)")
        }
    }
}
