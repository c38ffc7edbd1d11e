import Foundation
import LandlordCore
import LandlordS3State
import LandlordTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Counts the requests moto answers, with moto's recorder (`/moto-api/recorder/...`; it writes
/// to MOTO_RECORDER_FILEPATH, which scripts/moto.sh sets beside its log).
enum MotoRecorder {
    static func call(_ action: String, method: String = "POST") async throws -> String {
        var request = URLRequest(url: URL(string: Moto.endpoint! + "/moto-api/recorder/" + action)!)
        request.httpMethod = method
        let (data, _) = try await URLSession.shared.data(for: request)
        return String(decoding: data, as: UTF8.self)
    }

    /// The requests moto answers while `body` runs: one `METHOD PATH?QUERY` line each.
    static func requests<T>(during body: () async throws -> T) async throws -> (result: T, requests: [String]) {
        _ = try await call("reset-recording")
        _ = try await call("start-recording")
        let result: T
        do { result = try await body() } catch {
            _ = try? await call("stop-recording")
            throw error
        }
        _ = try await call("stop-recording")
        let lines = try await call("download-recording", method: "GET").split(separator: "\n").compactMap { line -> String? in
            guard let m = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let method = m["method"] as? String,
                let url = (m["url"] as? String).flatMap(URL.init(string:))
            else { return nil }
            return method + " " + url.path + (url.query.map { "?" + $0 } ?? "")
        }
        _ = try await call("reset-recording")
        return (result, lines)
    }
}

/// Remote state that scales: a fleet's tenant documents read in a few requests from a fresh
/// machine, never a stale one.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct S3SnapshotTests {
    /// Forty tenants `prefix`00 to 39 saved to a new bucket, and the snapshot published.
    func published(_ prefix: String) async throws -> (bucket: String, ids: [String], saved: [String: TenantState]) {
        let bucket = try await Moto.bucket()
        let writer = try Moto.store(bucket)
        let ids = (0..<40).map { String(format: "\(prefix)%02d", $0) }
        let saved = Dictionary(uniqueKeysWithValues: ids.map { ($0, tenantState($0)) })
        for id in ids { try await writer.saveTenant(saved[id]!) }
        await writer.publish()
        return (bucket, ids, saved)
    }

    /// Another run changes tenant `id` without publishing the snapshot.
    func changeUnpublished(_ id: String, in bucket: String) async throws -> (store: S3StateStore, state: TenantState) {
        let other = try Moto.store(bucket)
        var changed = try #require(try await other.loadTenant(id))
        changed.serial += 1
        changed.resources["backend_task"]?.inputs["image"] = .string("backend:2")
        try await other.saveTenant(changed)
        return (other, changed)
    }

    @Test func aReaderTakesFromTheSnapshotOnlyWhatTheListingConfirms() async throws {
        let (bucket, ids, saved) = try await published("x")

        // A fresh reader: one listing, one snapshot, no GET per tenant.
        let (all, requests) = try await MotoRecorder.requests { try await Moto.store(bucket).loadTenants(ids + ["new"]) }
        #expect(all.keys.sorted() == ids)
        #expect(all == saved)
        #expect(requests.count == 2, "\(requests)")

        // Another run changes one tenant and deletes another without publishing (it died, or
        // is an older landlord): the reader reads those from their objects.
        let (other, changed) = try await changeUnpublished("x07", in: bucket)
        _ = try await other.loadTenant("x08")
        try await other.deleteTenant("x08")
        let reader = try Moto.store(bucket)
        let (again, second) = try await MotoRecorder.requests { try await reader.loadTenants(ids) }
        #expect(again["x07"] == changed)
        #expect(again["x08"] == nil)
        #expect(again.count == 39)
        #expect(second.count == 3, "a listing, the snapshot, and x07's document: \(second)")
        // What it read is what a compare-and-swap write builds on.
        var next = changed
        next.serial += 1
        try await reader.saveTenant(next)

        // Publishing brings the snapshot up to date, with what others wrote too.
        await other.publish()
        let (third, requests3) = try await MotoRecorder.requests { try await Moto.store(bucket).loadTenants(ids) }
        #expect(third["x07"] == next, "x07 as the reader wrote it after the other run published")
        #expect(requests3.count == 2, "a listing and the snapshot: \(requests3)")
    }

    /// A refresh reads some tenants whole and only the resources of the others, in the same
    /// one listing and snapshot, and a changed tenant from its object, as `loadTenants` does.
    @Test func aRefreshReadsResourcesOnlyFromTheSnapshotAndChangedTenantsFromTheirObjects() async throws {
        let (bucket, ids, saved) = try await published("r")
        let (_, changed) = try await changeUnpublished("r07", in: bucket)

        let whole = Array(ids.prefix(10))
        let only = Array(ids.dropFirst(10)) + ["new"]
        let (read, requests) = try await MotoRecorder.requests { try await Moto.store(bucket).loadForRefresh(whole: whole, resources: only) }
        #expect(read.states == saved.filter { whole.contains($0.key) }.merging(["r07": changed]) { _, b in b })
        #expect(read.recorded.keys.sorted() == Array(ids.dropFirst(10)))
        for id in ids.dropFirst(10) { #expect(read.recorded[id] == saved[id]?.recordedResources, "\(id)") }
        #expect(requests.count == 3, "a listing, the snapshot, and r07's document: \(requests)")
    }

    @Test func aNoChangePlanOfAThousandTenantsFromAFreshMachineTakesAFewRequestsAndSeesEveryChange() async throws {
        let bucket = try await Moto.bucket()
        let fleet = try Fleet(tenants: 1000, listeners: 1, limit: 2000)
        let ids = Fleet.tenantIDs(1000)
        let apply = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve", "--parallelism", "50"], env: ["LANDLORD_STATE_FSYNC": "0"])
        #expect(apply.code == 0, "\(apply.all.suffix(2000))")
        let migrate = try await CLI.run(["-C", fleet.path, "state", "migrate", "--to", "s3", "--bucket", bucket, "--prefix", "fleet"])
        #expect(migrate.code == 0, "\(migrate.all.suffix(2000))")
        try fleet.useS3(bucket: bucket, prefix: "fleet")
        // No local state at all: what a fresh CI runner has.
        try FileManager.default.moveItem(at: fleet.dir.appendingPathComponent(".landlord/state"), to: fleet.dir.appendingPathComponent("local-state"))

        let (plan, requests) = try await MotoRecorder.requests {
            try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"])
        }
        #expect(plan.code == 0, "\(plan.all.suffix(2000))")
        #expect(plan.stdout.contains("No changes. The specs and the recorded state match (1000 tenants checked)."))
        print("no-change plan of 1000 tenants, S3 state, fresh machine: \(requests.count) requests to moto: \(requests)")
        #expect(requests.count <= 20, "\(requests)")

        // Another run changes a tenant between two plans without publishing a snapshot: the
        // next plan sees it (the snapshot's copy of t500 no longer matches the listing). Without
        // refresh, so the plan compares the specs with the recorded state, not the cloud.
        let other = try Moto.store(bucket)
        var t500 = try #require(try await other.loadTenant("t500"))
        t500.serial += 1
        t500.resources["backend_task"]?.inputs["image"] = .string("registry.example.com/backend:0.9.0")
        try await other.saveTenant(t500)
        let (changed, requests2) = try await MotoRecorder.requests {
            try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode", "--format", "json", "--refresh=false"])
        }
        #expect(changed.code == 2, "\(changed.all.suffix(2000))")
        #expect(changed.stdout.contains("\"address\": \"t500/backend_task\""))
        #expect(changed.stdout.contains("\"replace\": 1"))
        #expect(requests2.count <= 21, "\(requests2)")

        // An apply puts it back and publishes the snapshot; the next plan is cheap again.
        let fix = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve", "--tenant", "t500", "--refresh=false"])
        #expect(fix.code == 0, "\(fix.all.suffix(2000))")
        let (after, requests3) = try await MotoRecorder.requests { try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"]) }
        #expect(after.code == 0, "\(after.all.suffix(2000))")
        #expect(requests3.count <= 20, "\(requests3)")
        #expect(!requests3.contains { $0.contains("/tenants/") && $0.hasPrefix("GET") && !$0.contains("list-type") }, "\(requests3)")
        #expect(try await Moto.store(bucket).listTenants() == ids)
    }
}
