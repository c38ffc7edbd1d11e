import AWSSchema
import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// Messages that name a type put the right article before it: "an int", never "a int".
@Suite struct MessageArticleTests {
    @Test func articlesFollowTheFirstSound() {
        #expect(AttributeType.int.withArticle == "an int")
        #expect(AttributeType.any.withArticle == "an any")
        #expect(AttributeType.string.withArticle == "a string")
        #expect(AttributeType.map.withArticle == "a map")
        #expect(Article.indefinite("A") == "an A")
        #expect(Article.indefinite("MX") == "an MX")
        #expect(Article.indefinite("CNAME") == "a CNAME")
        #expect(Article.indefinite("Tenant") == "a Tenant")
    }

    /// A list or a wrong scalar where the schema wants an int, in a blueprint.
    @Test func blueprintTypeErrorsSayAnInt() throws {
        let bp =
            SpecFixture.blueprint + """

                  tg2:
                    type: aws.lb_target_group
                    properties: {name: x, port: [80], protocol: HTTP, vpcId: v}
                  tg3:
                    type: aws.lb_target_group
                    properties: {name: y, port: eighty, protocol: HTTP, vpcId: v}
                """
        let diags = try SpecFixture(blueprints: ["web": bp]).load().1.errors
        #expect(diags.contains { $0.summary == "expected an int, found a list" }, "\(diags.map(\.summary))")
        #expect(diags.contains { $0.detail == "this attribute is an int" }, "\(diags.map(\.detail))")
        #expect(!diags.contains { $0.summary.contains("a int") || $0.detail.contains("a int") })
    }

    /// A parameter that evaluates to text where the attribute is an int, found at plan time.
    @Test func planTimeTypeErrorsSayAnInt() throws {
        let bp = SpecFixture.blueprint.replacingOccurrences(of: "port: 80,", with: "port: \"${subdomain}\",")
        let (fleet, loadDiags) = try SpecFixture(blueprints: ["web": bp], tenants: ["acme": SpecFixture.tenant("acme")]).load()
        let loaded = try #require(fleet, "\(loadDiags.errors.map(\.summary))")
        let (_, diags) = Planner.plan(
            PlanInput(fleet: loaded, states: [:], platformState: PlatformState(), schemas: AWSResourceTypes.schema.resources), options: PlanOptions())
        let summaries = diags.errors.map(\.summary)
        #expect(summaries.contains { $0.hasPrefix("attribute 'port' of aws.lb_target_group must be an int;") }, "\(summaries)")
    }
}
