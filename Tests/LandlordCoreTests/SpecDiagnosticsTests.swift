import Foundation
import LandlordCore
import Testing

/// Every kind of spec problem is a diagnostic at its file:line:col, all reported together.
@Suite struct SpecDiagnosticsTests {
    @Test func aValidFleetLoads() throws {
        let f = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme")])
        let (fleet, diags) = f.load()
        #expect(diags.errors.isEmpty)
        #expect(fleet?.tenants.map(\.id) == ["acme"])
        #expect(fleet?.tenants.first?.parameters["tier"] == "basic")
    }

    /// One typo is one error: the misspelt parameter is not also reported missing.
    @Test func aMisspeltRequiredParameterIsOneErrorWithDidYouMean() throws {
        let f = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme", "{subdomian: acme}")])
        #expect(
            f.errors() == [
                "tenants/acme.yaml:5:14: unknown parameter 'subdomian' (did you mean 'subdomain'?)"
            ])
    }

    /// A required parameter nothing resembles is still reported missing, beside the unknown one.
    @Test func anUnrelatedUnknownParameterLeavesTheMissingOneReported() throws {
        let f = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme", "{colour: blue}")])
        #expect(
            f.errors() == [
                "tenants/acme.yaml:5:13: missing required parameter 'subdomain'",
                "tenants/acme.yaml:5:14: unknown parameter 'colour'",
            ])
    }

    @Test func wrongTypeEnumAndPatternMismatch() throws {
        let f = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme", "{subdomain: \"Bad_Name\", tier: gold, replicas: many}")])
        let errs = f.errors()
        try #require(errs.count == 3)
        #expect(errs[0].hasPrefix("tenants/acme.yaml:5:25: parameter 'subdomain': 'Bad_Name' does not match pattern"))
        #expect(errs[1] == "tenants/acme.yaml:5:43: parameter 'tier': 'gold' is not one of basic, premium")
        #expect(errs[2] == "tenants/acme.yaml:5:59: parameter 'replicas': expected an integer, found 'many'")
    }

    @Test func stringParametersKeepYAML11LookalikesAsText() throws {
        let f = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme", "{subdomain: no-way}")])
        let (fleet, _) = f.load()
        #expect(fleet?.tenants.first?.parameters["subdomain"] == "no-way")
    }

    @Test func unknownFieldUnknownBlueprintAndDuplicateTenant() throws {
        let dup = SpecFixture.tenant("acme").replacingOccurrences(of: "kind: Tenant", with: "kind: Tenant\nlables: {}")
        let f = try SpecFixture(tenants: [
            "acme": SpecFixture.tenant("acme"),
            "acme2": dup,
            "beta": SpecFixture.tenant("beta", blueprint: "webb"),
        ])
        let errs = f.errors()
        #expect(errs.contains("tenants/acme2.yaml:3:1: unknown field of a Tenant 'lables' (did you mean 'labels'?)"))
        #expect(errs.contains("tenants/beta.yaml:4:12: unknown blueprint 'webb' (did you mean 'web'?)"))
    }

    /// An unknown blueprint does not hide the file's other errors: the parameters are checked
    /// against the blueprint the name is closest to, and `approval:` regardless.
    @Test func anUnknownBlueprintStillReportsTheParameterErrors() throws {
        let f = try SpecFixture(tenants: [
            "beta": SpecFixture.tenant("beta", "{subdomian: beta, tier: gold}", blueprint: "webb"),
            "gamma": SpecFixture.tenant("gamma", "{subdomain: gamma}", blueprint: "mobile") + "\napproval: later",
        ])
        let errs = f.errors()
        #expect(errs.contains("tenants/beta.yaml:4:12: unknown blueprint 'webb' (did you mean 'web'?)"), "\(errs)")
        #expect(errs.contains("tenants/beta.yaml:5:14: unknown parameter 'subdomian' (did you mean 'subdomain'?)"), "\(errs)")
        #expect(errs.contains("tenants/beta.yaml:5:37: parameter 'tier': 'gold' is not one of basic, premium"), "\(errs)")
        #expect(errs.contains("tenants/gamma.yaml:4:12: unknown blueprint 'mobile'"), "\(errs)")
        #expect(errs.contains { $0.hasPrefix("tenants/gamma.yaml:6:11: unknown approval 'later'") }, "\(errs)")
        let detail = f.load().1.items.first { $0.summary.hasPrefix("unknown blueprint 'webb'") }?.detail ?? ""
        #expect(detail.contains("the parameters below are checked against 'web'"), "\(detail)")
    }

    @Test func duplicateTenantIDsAreReported() throws {
        let f = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme"), "acme-copy": SpecFixture.tenant("acme")])
        #expect(
            f.errors() == ["tenants/acme.yaml:3:5: duplicate tenant id 'acme'"]
                || f.errors() == ["tenants/acme-copy.yaml:3:5: duplicate tenant id 'acme'"])
    }

    @Test func referencesToUnknownResourcesAttributesParametersAndPlatformInputs() throws {
        let bp =
            SpecFixture.blueprint + """

                  dns:
                    type: aws.route53_record
                    properties: {zoneId: "${platform.zone}", name: "${subdomian}", type: CNAME, records: ["${rul.listenerDnsName}", "${tg.arm}"]}
                """
        let f = try SpecFixture(blueprints: ["web": bp])
        let errs = f.errors()
        #expect(errs.contains("blueprints/web.yaml:17:26: reference to unknown platform input 'zone'"))
        #expect(errs.contains("blueprints/web.yaml:17:52: reference to unknown parameter 'subdomian' (did you mean 'subdomain'?)"))
        #expect(errs.contains("blueprints/web.yaml:17:91: reference to unknown resource 'rul' (did you mean 'rule'?)"))
        #expect(errs.contains("blueprints/web.yaml:17:117: resource 'tg' (aws.lb_target_group) has no attribute 'arm' (did you mean 'arn'?)"))
    }

    @Test func unknownAttributeUnknownTypeAndMissingRequiredAttribute() throws {
        let bp =
            SpecFixture.blueprint + """

                  extra:
                    type: aws.lb_targetgroup
                    properties: {}
                  tg2:
                    type: aws.lb_target_group
                    properties: {name: x, prot: 80, protocol: HTTP, vpcId: v}
                """
        let errs = try SpecFixture(blueprints: ["web": bp]).errors()
        #expect(errs.contains("blueprints/web.yaml:16:11: unknown resource type 'aws.lb_targetgroup' (did you mean 'aws.lb_target_group'?)"))
        #expect(errs.contains("blueprints/web.yaml:20:27: unknown attribute 'prot' for aws.lb_target_group (did you mean 'port'?)"))
        #expect(errs.contains("blueprints/web.yaml:20:17: resource 'tg2' (aws.lb_target_group) is missing required attribute 'port'"))
    }

    @Test func undeclaredSequencesAreReported() throws {
        let bp = SpecFixture.blueprint.replacingOccurrences(of: "resources:", with: "sequences: {tenantNumber: {start: 100}}\nresources:")
            .replacingOccurrences(of: "name: \"t-${tenant.id}\"", with: "name: \"t-${seq.tenantNumbr}\"")
        let errs = try SpecFixture(blueprints: ["web": bp]).errors()
        #expect(errs.count == 1)
        #expect(errs.first?.contains("reference to undeclared sequence 'tenantNumbr' (did you mean 'tenantNumber'?)") == true)
    }

    @Test func referenceCycleNamesTheResourcesInIt() throws {
        let bp = """
            apiVersion: landlord/v1
            kind: Blueprint
            name: web
            resources:
              a:
                type: aws.cognito_user_pool
                properties: {name: "${b.id}"}
              b:
                type: aws.cognito_identity_pool
                properties: {name: "${c.id}"}
              c:
                type: aws.cognito_user_pool
                properties: {name: x}
                dependsOn: [a]
            """
        let errs = try SpecFixture(blueprints: ["web": bp]).errors()
        #expect(errs == ["blueprints/web.yaml:5:3: reference cycle: a -> b -> c -> a"])
    }

    @Test func malformedYAMLIsADiagnosticNotACrash() throws {
        let f = try SpecFixture(tenants: ["acme": "apiVersion: landlord/v1\nkind: Tenant\nid: [acme\n"])
        let errs = f.errors()
        try #require(errs.count == 1, "\(errs)")
        #expect(errs[0].hasPrefix("tenants/acme.yaml:4:1: malformed YAML"))
    }

    @Test func aliasBombIsRefusedUnderABudget() throws {
        var y = "apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: web\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { y += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let f = try SpecFixture(tenants: ["acme": y])
        let errs = f.errors()
        try #require(errs.count == 1, "\(errs)")
        #expect(errs[0].contains("expands to more than"))
        #expect(errs[0].contains("alias bomb"))
    }

    @Test func absurdNestingIsRefused() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let f = try SpecFixture(tenants: ["acme": "apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: web\nx: \(deep)\n"])
        let errs = f.errors()
        try #require(errs.count == 1, "\(errs)")
        #expect(errs[0].contains("nested deeper than"))
    }

    @Test func allProblemsOfARunAreReportedTogether() throws {
        let f = try SpecFixture(tenants: [
            "a": SpecFixture.tenant("a", "{subdomain: aaa, tier: gold}"),
            "b": SpecFixture.tenant("b", "{}"),
            "c": "kind: Tenant\n",
        ])
        let (fleet, diags) = f.load()
        #expect(fleet == nil)
        #expect(diags.errors.count >= 4)
        #expect(Set(diags.errors.compactMap { $0.location?.file }) == ["tenants/a.yaml", "tenants/b.yaml", "tenants/c.yaml"])
    }
}
