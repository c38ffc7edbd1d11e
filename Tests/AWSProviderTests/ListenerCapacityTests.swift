import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    @Suite struct ListenerCapacityTests {
        /// A rule straight through the API, with optional tags.
        func rule(_ client: AWSClient, listener: String, targetGroup: String, priority: Int, tags: [String: String] = [:]) async throws {
            var p = [
                "ListenerArn": listener, "Priority": String(priority),
                "Conditions.member.1.Field": "host-header", "Conditions.member.1.HostHeaderConfig.Values.member.1": "h\(priority).example.com",
                "Actions.member.1.Type": "forward", "Actions.member.1.TargetGroupArn": targetGroup,
            ]
            for (i, (k, v)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
                p["Tags.member.\(i + 1).Key"] = k
                p["Tags.member.\(i + 1).Value"] = v
            }
            _ = try await client.query(.elbv2, action: "CreateRule", p)
        }

        @Test func foreignRulesHoldPrioritiesAndLandlordsDoNot() async throws {
            try await Moto.reset()
            let client = try Moto.client()
            let fixtures = Fixtures(client: client)
            let vpc = try await fixtures.vpc()
            let listener = try await fixtures.listener(vpc: vpc)
            let tg = try await fixtures.targetGroup(vpc: vpc, name: Moto.unique("tg"))
            let provider = AWSProvider(
                settings: ["region": "us-east-1"], environment: Moto.environment, rateLimits: AWSRateLimits(rates: ["elbv2": 1000]))
            let t = Tenant()

            // Made by Landlord for this platform (tagged through the provider): not foreign.
            _ = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.listenerRule, "rule",
                    [
                        "listener": .string(listener.arn), "priority": 10, "hostHeader": "acme.example.com", "targetGroupArn": .string(tg),
                    ]))
            // Made directly, untagged: foreign. 23 of them, so tags are read in more than one call.
            for priority in 20..<43 { try await rule(client, listener: listener.arn, targetGroup: tg, priority: priority) }
            // Tagged, but by another platform: foreign too.
            try await rule(client, listener: listener.arn, targetGroup: tg, priority: 50, tags: [LandlordTag.platform: "other-platform"])

            let inUse = await provider.numbersInUse(members: [listener.arn], platform: t.platform)
            #expect(inUse.diagnostics.isEmpty, "\(inUse.diagnostics)")
            #expect(inUse.numbers[listener.arn] == Set(20..<43).union([50]))

            // Seen from the other platform, this platform's rule is the foreign one.
            let other = await provider.numbersInUse(members: [listener.arn], platform: "other-platform")
            #expect(other.numbers[listener.arn] == Set(20..<43).union([10]))
        }

        @Test func aMissingListenerIsADiagnostic() async throws {
            try await Moto.reset()
            let client = try Moto.client()
            let fixtures = Fixtures(client: client)
            let listener = try await fixtures.listener(vpc: try await fixtures.vpc())
            let missing = listener.arn.replacingOccurrences(of: "/app/", with: "/app/x") + "0"
            let provider = AWSProvider(
                settings: ["region": "us-east-1"], environment: Moto.environment, rateLimits: AWSRateLimits(rates: ["elbv2": 1000]))
            let inUse = await provider.numbersInUse(members: [listener.arn, missing], platform: "p")
            #expect(inUse.numbers == [listener.arn: []])
            let d = try #require(inUse.diagnostics.first)
            #expect(d.summary.contains(missing))
            #expect(d.detail.contains("platform.yaml"))
        }
    }
}
