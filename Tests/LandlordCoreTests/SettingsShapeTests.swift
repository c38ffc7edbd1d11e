import Foundation
import LandlordCore
import Testing

/// platform.yaml's `api:`, `events:`, `rollout:`, `drift:` and `exports: {s3:}` and a blueprint's
/// `onboarding:` and `updates:` share one preamble: each must be a mapping (an error with an
/// example where it is not), its keys are checked with a did-you-mean, and all but `s3:` may be
/// left empty (as if absent; an empty `s3:` leaves `exports:` without a place, and s3 needs a bucket).
@Suite struct SettingsShapeTests {
    static func fixture(platform extra: String, blueprint settings: String) throws -> SpecFixture {
        try SpecFixture(
            platform: SpecFixture.platform + "\n" + extra,
            blueprints: ["web": SpecFixture.blueprint.replacingOccurrences(of: "resources:", with: settings + "resources:")],
            tenants: ["acme": SpecFixture.tenant("acme")])
    }

    /// `file:line:col: summary (detail)` of every error.
    static func errors(_ f: SpecFixture) -> [String] {
        f.load().1.sorted.filter { $0.severity == .error }.map { d in
            (d.location.map { "\($0.file):\($0.line):\($0.column): " } ?? "") + d.summary + " (\(d.detail))"
        }
    }

    @Test func aSettingThatIsNotAMappingIsOneErrorWithAnExample() throws {
        let f = try Self.fixture(
            platform: "api: yes\nevents: [a]\nrollout: fast\ndrift: 6h\nexports: {s3: [b]}\n",
            blueprint: "onboarding: required\nupdates: [approval]\n")
        #expect(
            Self.errors(f) == [
                "blueprints/web.yaml:8:13: 'onboarding' must be a mapping (write `onboarding: {approval: required, timeout: 24h}`)",
                "blueprints/web.yaml:9:10: 'updates' must be a mapping (write `updates: {approval: required}`)",
                "platform.yaml:10:6: 'api' must be a mapping (write `api: {tokensEnv: LANDLORD_API_TOKENS}`)",
                "platform.yaml:11:9: 'events' must be a mapping (write `events: {webhooks: [{url: ..., secretEnv: ...}]}`)",
                "platform.yaml:12:10: 'rollout' must be a mapping (write `rollout: {waves: [1, 5%, 100%], failureBudget: 0, onFailure: rollback}`)",
                "platform.yaml:13:8: 'drift' must be a mapping (write `drift: {every: 6h, callsPerSecond: 20}`)",
                "platform.yaml:14:15:" + Self.s3Message,
            ])
    }

    /// The diagnostic of an `exports.s3` that is not a mapping, after its position.
    static let s3Message =
        " 's3' must be a mapping (write `exports: {s3: {bucket: NAME, prefix: exports}}` or `exports: {directory: exports}`)"

    @Test func anEmptySettingIsAbsentButAnEmptyS3IsAnError() throws {
        let empty = try Self.fixture(platform: "api:\nevents: ~\nrollout:\ndrift: null\n", blueprint: "onboarding:\nupdates: ~\n")
        #expect(Self.errors(empty) == [])
        let (fleet, _) = empty.load()
        #expect(fleet?.platform.api == APISettings())
        #expect(fleet?.platform.drift == nil)
        #expect(fleet?.platform.rollout == RolloutPolicy())
        #expect(fleet?.blueprints["web"]?.updates == UpdatesSpec())
        let s3 = try Self.fixture(platform: "exports: {s3: }\n", blueprint: "")
        #expect(Self.errors(s3) == ["platform.yaml:10:15:" + Self.s3Message])
    }

    @Test func unknownKeysAreNamedForTheirSetting() throws {
        let f = try Self.fixture(
            platform: "api: {tokenEnv: T}\nevents: {webhook: []}\nrollout: {wave: [1]}\ndrift: {every: 6h, callPerSecond: 2}\n",
            blueprint: "onboarding: {aproval: none}\nupdates: {approvals: none}\n")
        let summaries = Self.errors(f).map { $0.components(separatedBy: ": ").dropFirst().joined(separator: ": ") }
        #expect(
            summaries == [
                "unknown onboarding field 'aproval' (did you mean 'approval'?) (known: approval, timeout)",
                "unknown updates field 'approvals' (did you mean 'approval'?) (known: approval)",
                "unknown api setting 'tokenEnv' (did you mean 'tokensEnv'?) (known: tokensEnv)",
                "unknown events sink 'webhook' (did you mean 'webhooks'?) (known: webhooks, eventbridge)",
                "unknown rollout field 'wave' (did you mean 'waves'?) (known: waves, failureBudget, bake, alarms, onFailure, autoApprove)",
                "unknown drift field 'callPerSecond' (did you mean 'callsPerSecond'?) (known: every, callsPerSecond)",
            ])
    }
}
