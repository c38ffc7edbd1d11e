import Foundation
import LandlordCore
import LandlordService
import Testing

/// `api:` and `events:` in platform.yaml and `onboarding:` in a blueprint, as `landlord
/// validate` reads them.
@Suite struct SettingsTests {
    func load(_ f: ServiceFixture) -> Diagnostics {
        SpecLoader(schemas: ServiceRuntime.schemas, environment: [:]).load(directory: f.dir).1
    }

    @Test func onboardingAndSinksAreRead() throws {
        let f = try ServiceFixture(
            approvalTimeout: "90m",
            events: "events: {webhooks: [{url: \"https://hooks.example.com/x\", secretEnv: HOOK}], eventbridge: {bus: main}}\n")
        let (fleet, diags) = SpecLoader(schemas: ServiceRuntime.schemas, environment: [:]).load(directory: f.dir)
        #expect(!diags.hasErrors, "\(diags.items)")
        #expect(fleet?.blueprints["gated"]?.onboarding == OnboardingSpec(approvalRequired: true, timeout: 5400))
        #expect(fleet?.blueprints["web"]?.onboarding.approvalRequired == false)
        #expect(fleet?.platform.api.tokensEnv == "SERVE_TEST_TOKENS")
        #expect(fleet?.platform.events.webhooks == [.init(url: "https://hooks.example.com/x", secretEnv: "HOOK")])
        #expect(fleet?.platform.events.eventBridgeBus == "main")
    }

    @Test func mistakesArePositionedDiagnostics() throws {
        let f = try ServiceFixture(approvalTimeout: "soon", events: "events: {webhook: []}\n")
        let bp = f.dir.appendingPathComponent("blueprints/gated.yaml")
        try String(contentsOf: bp, encoding: .utf8).replacingOccurrences(of: "approval: required", with: "approval: requird")
            .write(to: bp, atomically: true, encoding: .utf8)
        let text = load(f).items.map(\.description).joined(separator: "\n")
        #expect(text.contains("unknown approval 'requird' (did you mean 'required'?)"))
        #expect(text.contains("invalid timeout 'soon'"))
        #expect(text.contains("blueprints/gated.yaml:"))
        #expect(text.contains("platform.yaml:"))
        #expect(text.contains("unknown events sink 'webhook' (did you mean 'webhooks'?)"))
    }
}
