import Foundation
import LandlordService
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The service with its state in S3 (moto): records and the event outbox live in the bucket,
/// so a service killed on one disk is finished by a fresh one on another, and two service
/// processes sharing the bucket cannot both create one id.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive) struct S3ServiceTests {
    /// A fixture whose state is `s3://bucket/prefix` (10 s leases), whose simulated cloud is
    /// `cloud` (outside the fleet, shared like a real one), with events to `hooks`.
    static func fixture(bucket: String, prefix: String, cloud: String, hooks: Served) throws -> ServiceFixture {
        let f = try ServiceFixture(
            events: hooks.webhookEvents(),
            env: Moto.environment.merging(["LANDLORD_MOCK_CLOUD": cloud, "LANDLORD_MOCK_LATENCY_MS": "600"]) { _, b in b })
        let path = f.dir.appendingPathComponent("platform.yaml")
        let text = try String(contentsOf: path, encoding: .utf8)
        #expect(text.contains("state: {backend: local}"))
        try text.replacingOccurrences(
            of: "state: {backend: local}", with: "state: {backend: s3, bucket: \(bucket), prefix: \(prefix), lockLeaseSeconds: 10}"
        ).write(to: path, atomically: true, encoding: .utf8)
        return f
    }

    @Test func aKilledServiceIsFinishedByAFreshOneWithAnEmptyDiskAndEventsGoOutOnce() async throws {
        let bucket = "landlord-svc-\(UUID().uuidString.prefix(8).lowercased())"
        try await Moto.client().s3CreateBucket(bucket)
        let receiver = EventOrderTests.Receiver()
        receiver.failing.withLock { $0 = false }
        let hooks = try await receiver.served()
        defer { hooks.stop() }
        let cloudDir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-s3-cloud-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: cloudDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: cloudDir) }
        let cloud = cloudDir.appendingPathComponent("mock-cloud.json").path
        let first = try Self.fixture(bucket: bucket, prefix: "fleet", cloud: cloud, hooks: hooks)
        let second = try Self.fixture(bucket: bucket, prefix: "fleet", cloud: cloud, hooks: hooks)

        // A second service process on the same bucket, started before the tenant exists (so
        // only the bucket's conditional create can refuse it), run in this test's process.
        let other = try TenantService(
            runtime: try await ServiceRuntime.load(root: second.dir, environment: second.env), environment: second.env, log: { _ in })

        let server = try await CrashTests.start(first)
        let a = try await first.create("s3a")
        #expect(a.status == 202, "\(a.text)")
        let b = try await first.create("s3b", blueprint: "gated")
        #expect(b.status == 202, "\(b.text)")
        let twice = await other.create(
            TenantRequest(id: "s3a", blueprint: "web", parameters: ["subdomain": "sub-s3a-2", "backendImage": "img:1"]))
        if case .failure(let refused) = twice {
            #expect(refused.kind == .conflict, "\(refused)")
            #expect(refused.body.message.contains("created by another service process"), "\(refused)")
        } else {
            Issue.record("the second service created s3a again: \(twice)")
        }
        #expect(!second.fileExists("tenants/s3a.yaml"))
        // Killed while s3a is being provisioned: once its first resource is in the cloud (600 ms
        // a call, 14 resources: it is mid-way, not finished).
        let begun = await eventually(within: 120) {
            ((try? MockCloud(path: cloud).snapshot()) ?? []).contains { $0.tags["landlord:tenant"] == "s3a" }
        }
        #expect(begun, "s3a's provisioning never began")
        kill(server.pid, SIGKILL)
        _ = await server.finish()

        // A fresh service on another disk: no .landlord, no tenant files. It waits for the
        // killed one's lease to end, then finishes s3a and takes s3b's approval.
        try? FileManager.default.removeItem(at: second.dir.appendingPathComponent(".landlord"))
        let fresh = try await CrashTests.start(second)
        let approved = try await second.call("POST", "/v1/tenants/s3b/approve")
        #expect(approved.status == 202, "\(approved.text)")
        let ta = try await second.wait("s3a", for: "active", seconds: 120)
        #expect(ta["resources"]?.intValue == 14)
        let tb = try await second.wait("s3b", for: "active", seconds: 120)
        #expect(tb["resources"]?.intValue == 14)
        #expect(second.fileExists("tenants/s3a.yaml"))
        // Every event once: s3a provisioned; s3b pending approval, then provisioned.
        let end = Date().addingTimeInterval(30)
        while (receiver.types(of: "s3a").count < 1 || receiver.types(of: "s3b").count < 2) && Date() < end {
            try await Task.sleep(for: .milliseconds(100))
        }
        // A duplicate is sent before its file leaves the bucket's outbox: once the outbox is
        // empty, every event that will go out has.
        var drained = false
        let emptyBy = Date().addingTimeInterval(60)
        while !drained && Date() < emptyBy {
            drained = try await Moto.client().s3ListObjectsV2(bucket: bucket, prefix: "fleet/service/outbox/").isEmpty
            if !drained { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(drained, "the bucket's outbox was never emptied")
        kill(fresh.pid, SIGTERM)
        _ = await fresh.finish()
        #expect(receiver.types(of: "s3a") == ["landlord.tenant.provisioned"])
        #expect(receiver.types(of: "s3b") == ["landlord.tenant.pending_approval", "landlord.tenant.provisioned"])
        // Nothing left in the bucket's outbox, and nothing on the fresh disk's.
        let objects = try await Moto.client().s3ListObjectsV2(bucket: bucket, prefix: "fleet/service/outbox/")
        #expect(objects.isEmpty, "\(objects.map(\.key))")
        let records = try await Moto.client().s3ListObjectsV2(bucket: bucket, prefix: "fleet/service/tenants/")
        #expect(Set(records.map(\.key)) == ["fleet/service/tenants/s3a.json", "fleet/service/tenants/s3b.json"])
    }
}
