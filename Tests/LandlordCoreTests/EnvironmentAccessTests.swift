import AWSSchema
import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// `${env.NAME}` reads only what platform.yaml declares: a tenant file from a pull request
/// cannot publish the CI's secrets in a plan.
@Suite struct EnvironmentAccessTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let env = ["AWS_SECRET_ACCESS_KEY": secret, "IMAGE_TAG": "1.4.2", "ACME_API_KEY": "k-123"]

    func load(platformEnv: String?, subdomain: String) throws -> (Fleet?, Diagnostics) {
        var platform = SpecFixture.platform
        if let platformEnv { platform += "\nenv: \(platformEnv)\n" }
        let f = try SpecFixture(platform: platform, tenants: ["acme": SpecFixture.tenant("acme", "{subdomain: \"\(subdomain)\"}")])
        return SpecLoader(schemas: AWSResourceTypes.schema.resources, environment: Self.env).load(directory: f.dir)
    }

    @Test func anUndeclaredVariableIsADiagnosticAtTheReferenceAndIsNeverRead() throws {
        let (fleet, diags) = try load(platformEnv: "[IMAGE_TAG]", subdomain: "${env.AWS_SECRET_ACCESS_KEY}")
        #expect(fleet == nil)
        let e = try #require(diags.errors.first)
        #expect(diags.errors.count == 1)
        #expect(e.location?.file == "tenants/acme.yaml" && e.location?.line == 5 && e.location?.column == 25)
        #expect(e.summary.contains("AWS_SECRET_ACCESS_KEY is not declared in platform.yaml"))
        #expect(e.summary.contains("add `env: [AWS_SECRET_ACCESS_KEY]`"))
        let text = diags.items.map { "\($0.summary) \($0.detail)" }.joined()
        #expect(!text.contains(Self.secret), "the value of an undeclared variable must never appear")
    }

    @Test func withoutAnyDeclarationNothingIsRead() throws {
        let (fleet, diags) = try load(platformEnv: nil, subdomain: "${env.IMAGE_TAG}")
        #expect(fleet == nil)
        #expect(diags.errors.first?.summary.contains("platform.yaml declares none") == true)
    }

    @Test func aDeclaredVariableIsSensitiveUnlessDeclaredOtherwise() throws {
        let (sensitive, d1) = try load(platformEnv: "[ACME_API_KEY]", subdomain: "${env.ACME_API_KEY}")
        #expect(d1.errors.isEmpty, "\(d1.errors.map(\.summary))")
        #expect(sensitive?.tenants.first?.parameters["subdomain"] == .sensitive(.string("k-123")))
        let (plain, d2) = try load(platformEnv: "[{name: ACME_API_KEY, sensitive: false}]", subdomain: "${env.ACME_API_KEY}")
        #expect(d2.errors.isEmpty, "\(d2.errors.map(\.summary))")
        #expect(plain?.tenants.first?.parameters["subdomain"] == .string("k-123"))
    }

    @Test func aMalformedDeclarationIsADiagnostic() throws {
        let (_, diags) = try load(platformEnv: "[\"1BAD\", {name: X, sensitive: maybe}]", subdomain: "acme")
        #expect(diags.errors.map(\.summary).contains("'1BAD' is not an environment variable name"))
        #expect(diags.errors.map(\.summary).contains("'sensitive' must be true or false"))
    }
}
