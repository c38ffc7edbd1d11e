import AWSClient
import Foundation
import LandlordTestSupport
import Testing

extension MotoTests {
    /// A rollout's fleet alarms read from moto's CloudWatch through the `landlord` binary: an
    /// alarm set to ALARM during a wave's bake halts the rollout before the next wave (and, with
    /// `onFailure: rollback`, rolls the baked wave back); an alarm that does not exist is named
    /// at plan.
    @Suite(.enabled(if: LandlordBinary.available, "needs the landlord binary: run `swift build` before the tests"))
    struct RolloutAlarmTests {
        static let cloudWatch = AWSService(signingName: "monitoring", endpointId: "CLOUDWATCH", hostPrefix: "monitoring", apiVersion: "2010-08-01")

        /// examples/rollouts on the mock provider, without health checks (the alarm is the
        /// signal here), waves of one tenant then the rest, a bake, the alarm.
        func fleet(alarm: String) throws -> URL {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-alarm-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for item in ["platform.yaml", "blueprints", "tenants"] {
                try FileManager.default.copyItem(
                    at: root.appendingPathComponent("examples/rollouts/\(item)"), to: dir.appendingPathComponent(item))
            }
            let platform = dir.appendingPathComponent("platform.yaml")
            var text = try String(contentsOf: platform, encoding: .utf8)
            text = text.replacingOccurrences(of: "waves: [1, 5%, 100%]", with: "waves: [1, 100%]")
                .replacingOccurrences(of: "bake: 0s ", with: "bake: 30s\n  alarms: [\(alarm)]\n  #")
            try text.write(to: platform, atomically: true, encoding: .utf8)
            let blueprint = dir.appendingPathComponent("blueprints/web.yaml")
            let bp = try String(contentsOf: blueprint, encoding: .utf8)
            try String(bp[..<bp.range(of: "health:")!.lowerBound]).write(to: blueprint, atomically: true, encoding: .utf8)
            return dir
        }

        @Test func anAlarmInAlarmDuringTheBakeHaltsTheNextWaveAndRollsTheWaveBack() async throws {
            let client = try Moto.client()
            let alarm = "landlord-rollout-\(UUID().uuidString.prefix(8).lowercased())"
            _ = try await client.query(
                Self.cloudWatch, action: "PutMetricAlarm",
                [
                    "AlarmName": alarm, "MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB", "Statistic": "Sum",
                    "Period": "60", "EvaluationPeriods": "1", "Threshold": "10", "ComparisonOperator": "GreaterThanThreshold",
                ])
            let dir = try fleet(alarm: alarm)
            var env = Moto.environment
            env["LANDLORD_ROLLOUT_ALARM_INTERVAL"] = "0.5"
            let run = try Spawned(LandlordBinary.url!, ["-C", dir.path, "apply", "--auto-approve"], base: env)
            let record = dir.appendingPathComponent(".landlord/rollouts/current.json").path
            let baking = await eventually(within: 60) { (try? String(contentsOfFile: record, encoding: .utf8))?.contains("\"baking\"") == true }
            #expect(baking, "wave 1 never started baking")
            _ = try await client.query(
                Self.cloudWatch, action: "SetAlarmState", ["AlarmName": alarm, "StateValue": "ALARM", "StateReason": "test: 5xx over threshold"])
            let result = await run.finish()
            #expect(result.code == 1, "\(result.all)")
            #expect(result.stdout.contains("halted: wave 1: alarm \(alarm) in ALARM during its bake"), "\(result.all)")
            #expect(result.stdout.contains("4 tenants not touched"), "\(result.all)")
            #expect(result.stdout.contains("Rolled back: acme"), "\(result.all)")
        }

        @Test func anAlarmThatDoesNotExistIsNamedAtPlan() async throws {
            let dir = try fleet(alarm: "landlord-no-such-alarm")
            let run = try await Spawned.run(LandlordBinary.url!, ["-C", dir.path, "plan"], base: Moto.environment)
            #expect(run.code == 1)
            #expect(run.stderr.contains("CloudWatch has no alarm landlord-no-such-alarm"), "\(run.all)")
        }
    }
}
