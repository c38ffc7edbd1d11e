import Foundation
import LandlordCore
import LandlordLocalState
import LandlordS3State
import LandlordTestSupport
import Testing

/// The S3 backend through the `landlord` binary: migrate, apply, plan, and two applies racing.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct S3CLITests {
    @Test func migrateMovesLocalStateIntoTheBucketAndPlanSeesNoChanges() async throws {
        let fleet = try Fleet()
        let apply = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        let bucket = try await Moto.bucket()

        let migrate = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3", "--bucket", bucket, "--prefix", "fleet"])
        #expect(migrate.code == 0, "\(migrate.all)")
        #expect(migrate.stdout.contains("created: 2 tenants (acme, globex)"))
        #expect(migrate.stdout.contains("platform document: created"))
        #expect(migrate.stdout.contains("Verified: 3 documents"))
        #expect(migrate.stdout.contains("set `state: {backend: s3, bucket: \(bucket), prefix: fleet}` in platform.yaml"))

        // The bucket holds exactly what the local store holds.
        let local = LocalStateStore(directory: fleet.dir.appendingPathComponent(".landlord").path)
        let remote = try Moto.store(bucket)
        #expect(try await remote.listTenants() == ["acme", "globex"])
        for id in ["acme", "globex"] { #expect(try await remote.loadTenant(id) == local.loadTenant(id)) }
        #expect(try await remote.loadPlatform() == local.loadPlatform())

        // Again: nothing to do, nothing refused.
        let again = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3", "--bucket", bucket, "--prefix", "fleet"])
        #expect(again.code == 0, "\(again.all)")
        #expect(again.stdout.contains("already there, identical: 2 tenants"))

        // Different state in the bucket is refused without --force, and nothing is written.
        var changed = try #require(try await remote.loadTenant("globex"))
        changed.serial += 1
        changed.status = .failed
        try await remote.saveTenant(changed)
        let refused = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3", "--bucket", bucket, "--prefix", "fleet"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("already holds different state for tenant 'globex'"))
        #expect(refused.stderr.contains("--force"))
        #expect(try await Moto.store(bucket).loadTenant("globex") == changed)
        let forced = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3", "--bucket", bucket, "--prefix", "fleet", "--force"])
        #expect(forced.code == 0, "\(forced.all)")
        #expect(forced.stdout.contains("overwritten (--force): 1 tenant (globex)"))
        #expect(try await Moto.store(bucket).loadTenant("globex") == local.loadTenant("globex"))

        // Switch the fleet to the bucket, move the local copy aside: no changes.
        try fleet.useS3(bucket: bucket, prefix: "fleet")
        try FileManager.default.moveItem(
            at: fleet.dir.appendingPathComponent(".landlord/state"), to: fleet.dir.appendingPathComponent(".landlord/state.migrated"))
        let plan = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(plan.stdout.contains("No changes."))
    }

    @Test func migrateWithoutLocalStateOrBucketSaysWhatToDo() async throws {
        let fleet = try Fleet()
        let noBucket = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3"])
        #expect(noBucket.code == 1)
        #expect(noBucket.stderr.contains("--bucket NAME"))
        let noState = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3", "--bucket", try await Moto.bucket()])
        #expect(noState.code == 1)
        #expect(noState.stderr.contains("nothing to migrate"))
    }

    @Test func withoutCredentialsValidateStillWorksAndPlanSaysWhatToSet() async throws {
        let fleet = try Fleet()
        try fleet.useS3(bucket: "some-bucket", prefix: "fleet")
        let none = [
            "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "landlord-none",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
        ]
        let validate = try await CLI.run(["-C", fleet.path, "validate"], env: none)
        #expect(validate.code == 0, "\(validate.all)")
        let plan = try await CLI.run(["-C", fleet.path, "plan"], env: none)
        #expect(plan.code == 1)
        #expect(plan.stderr.contains("cannot reach the s3 state backend (bucket some-bucket)"))
        #expect(plan.stderr.contains("set AWS_ACCESS_KEY_ID"))
    }

    @Test func applyWithS3StateThenPlanShowsNoChangesAndRacingAppliesOneWins() async throws {
        let fleet = try Fleet()
        let bucket = try await Moto.bucket()
        try fleet.useS3(bucket: bucket, prefix: "prod")
        let apply = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        #expect(!fleet.exists(".landlord/state"), "state was written locally with backend s3")
        let store = try Moto.store(bucket, prefix: "prod")
        #expect(try await store.listTenants() == ["acme", "globex"])
        #expect(try await store.loadTenant("acme")?.status == .active)
        #expect(try await store.loadPlatform().allocations.keys.sorted() == ["acme", "globex"])
        let plan = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(plan.stdout.contains("No changes."))

        // Two applies of the same change to acme: the slow one takes the lock first.
        try fleet.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "1.4.2", with: "1.5.0") }
        let slow = try CLI.start(["-C", fleet.path, "apply", "--auto-approve"], env: ["LANDLORD_MOCK_LATENCY_MS": "700"])
        let deadline = Date().addingTimeInterval(60)
        var holder: LockInfo?
        while holder == nil && Date() < deadline && slow.process.isRunning {
            holder = try await store.lockInfo(tenant: "acme")
            if holder == nil { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        let lock = try #require(holder, "the first apply never took the lock of acme")
        #expect(lock.holder.pid == slow.pid)
        let fast = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"])
        let slowRun = await slow.finish()
        #expect(slowRun.code == 0, "\(slowRun.all)")
        #expect(fast.code == 1, "\(fast.all)")
        #expect(fast.stderr.contains("tenant 'acme' is locked: apply by \(lock.holder.host) (pid \(slow.pid))"), "\(fast.stderr)")
        #expect(fast.stderr.contains("--lock-timeout"))

        // The winner's work is recorded, the lock released, and the fleet converged.
        #expect(try await store.lockInfo(tenant: "acme") == nil)
        let acme = try #require(try await store.loadTenant("acme"))
        #expect(acme.resources["backend_task"]?.inputs["image"]?.stringValue?.hasSuffix("1.5.0") == true)
        let after = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"])
        #expect(after.code == 0, "\(after.all)")
    }
}
