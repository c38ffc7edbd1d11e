import AWSSchema
import PostgresSchema
import ProviderAPI
import StripeSchema
import Testing

/// The providers' Terraform shapes (docs/review-tools.md's table) on single resources: names,
/// nested blocks, JSON-text attributes, and secrets never in the values.
@Suite struct TerraformShapeTests {
    @Test func namesAreSnakeCasedAndFallBackToLandlord() {
        #expect(TerraformShape.snakeCase("healthCheckPath") == "health_check_path")
        #expect(TerraformShape.snakeCase("name") == "name")
        let s = TerraformShape.fallback("aws.sesv2_contact")
        #expect(s.type == "landlord_aws_sesv2_contact" && s.providerName == TerraformShape.landlordProvider)
        #expect(s.terraformValues(["contactListName": "news"]) == ["contact_list_name": "news"])
        #expect(AWSTerraformShapes.shapes[AWSResourceTypes.contact] == nil, "hashicorp/aws has no contact resource")
    }

    @Test func jsonTextIsUnknownOrSensitiveWhole() {
        #expect(TerraformShape.jsonString(["a": 1]) == .string("{\"a\":1}"))
        #expect(TerraformShape.jsonString(["a": .unknown]) == .unknown)
        #expect(TerraformShape.jsonString(["a": .sensitive("s3cret")]).isSensitive)
    }

    @Test func iamRolePoliciesAreJSONText() throws {
        let shape = try #require(AWSTerraformShapes.shapes[AWSResourceTypes.iamRole])
        let trust: Value = ["Version": "2012-10-17", "Statement": [["Effect": "Allow", "Principal": ["Service": "ecs-tasks.amazonaws.com"]]]]
        let v = shape.terraformValues(["name": "acme-app", "assumeRolePolicy": trust, "inlinePolicies": ["s3": ["Version": "2012-10-17"]]])
        #expect(shape.type == "aws_iam_role")
        #expect(try JSON.parse(try #require(v["assume_role_policy"]?.stringValue)) == trust)
        #expect(v["inline_policy"]?.listValue?.first?.mapValue?["name"] == "s3")
    }

    @Test func dynamoItemsAreAttributeValueJSON() throws {
        let shape = try #require(AWSTerraformShapes.shapes[AWSResourceTypes.dynamoItem])
        let v = shape.terraformValues(["table": "tenants", "key": ["pk": "tenant#acme"], "item": ["tier": "basic", "seats": 5]])
        #expect(v["table_name"] == "tenants" && v["hash_key"] == "pk")
        let item = try JSON.parse(try #require(v["item"]?.stringValue))
        #expect(item == ["pk": ["S": "tenant#acme"], "tier": ["S": "basic"], "seats": ["N": "5"]])
    }

    /// A schema-sensitive attribute is marked even when the value was not, so it is never written.
    @Test func schemaSensitiveAttributesAreMarked() throws {
        let role = try #require(PostgresTerraformShapes.shapes[PostgresResourceTypes.role])
        let v = role.terraformValues(["name": "silo_acme", "password": "plain", "memberOf": ["readers"]])
        #expect(role.type == "postgresql_role" && v["password"]?.isSensitive == true && v["roles"] == ["readers"])
        // A password generated at apply: unknown, and marked sensitive all the same.
        #expect(role.terraformValues(["name": "silo_acme", "password": .unknown])["password"] == .sensitive(.unknown))
        let client = try #require(AWSTerraformShapes.shapes[AWSResourceTypes.userPoolClient])
        #expect(client.terraformValues(["clientSecret": "abc"])["client_secret"]?.isSensitive == true)
    }

    @Test func postgresAndStripeNames() throws {
        let grant = try #require(PostgresTerraformShapes.shapes[PostgresResourceTypes.grant])
        let g = grant.terraformValues(["role": "r", "schema": "s", "privileges": ["USAGE"]])
        #expect(grant.type == "postgresql_grant" && g["object_type"] == "schema" && g["privileges"] == ["USAGE"])
        let customer = try #require(StripeTerraformShapes.shapes[StripeResourceTypes.customer])
        #expect(customer.type == "stripe_customer" && customer.providerName == "registry.terraform.io/lukasaron/stripe")
    }
}
