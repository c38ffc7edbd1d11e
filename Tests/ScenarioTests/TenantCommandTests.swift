import Foundation
import LandlordBasics
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// `landlord tenant create|approve|reject|delete|show|list` through the binary: the service's
/// lifecycle without the service, on the same records, files, state and simulated cloud.
@Suite struct TenantCommandTests {
    /// The quickstart without its tenants, the web blueprint with outputs, and `gated`: the
    /// same blueprint needing approval.
    static func fleet(timeout: String = "1h") throws -> Harness {
        let h = try Harness()
        try h.remove("tenants")
        try FileManager.default.createDirectory(at: h.dir.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try h.edit("blueprints/web.yaml") { $0 + "\noutputs:\n  url: \"https://${subdomain}.${platform.domain}\"\n  userPoolId: \"${users.id}\"\n" }
        let web = try String(contentsOf: h.dir.appendingPathComponent("blueprints/web.yaml"), encoding: .utf8)
        try h.write(
            "blueprints/gated.yaml",
            web.replacingOccurrences(of: "\nname: web\n", with: "\nname: gated\nonboarding: {approval: required, timeout: \(timeout)}\n"))
        return h
    }

    static func tenant(_ h: Harness, _ args: [String]) async throws -> CLI.Run {
        try await CLI.run(["-C", h.dir.path, "tenant"] + args, env: ["LANDLORD_STATE_FSYNC": "0"])
    }

    static func json(_ run: CLI.Run) throws -> [String: Value] {
        guard case .map(let m) = try JSON.parse(Array(run.stdout.utf8)) else { throw HarnessError("not a JSON object: \(run.stdout)") }
        return m
    }

    static func file(_ h: Harness, _ tenant: String) throws -> String {
        try String(contentsOf: h.dir.appendingPathComponent("tenants/\(tenant).yaml"), encoding: .utf8)
    }

    static func create(_ h: Harness, _ id: String, blueprint: String = "gated") async throws -> CLI.Run {
        try await tenant(h, ["create", "--id", id, "--blueprint", blueprint, "--param", "subdomain=\(id)", "--param", "backendImage=img:1"])
    }

    /// Moves the times of `tenant`'s record (created, approval deadline) `seconds` into the past.
    static func age(_ h: Harness, _ tenant: String, by seconds: Double) throws {
        let url = h.dir.appendingPathComponent(".landlord/service/tenants/\(tenant).json")
        guard case .map(var record) = try JSON.parse(Array(try Data(contentsOf: url))) else { throw HarnessError("not a record: \(url.path)") }
        let iso = ISO8601DateFormatter()
        for key in ["createdAt", "deadline"] {
            guard let text = record[key]?.stringValue, let date = iso.date(from: text) else { throw HarnessError("no \(key) in \(url.path)") }
            record[key] = .string(iso.string(from: date.addingTimeInterval(-seconds)))
        }
        try Data(JSON.serialize(.map(record))).write(to: url)
    }

    static func resources(_ h: Harness, _ tenant: String) throws -> [MockResource] {
        try h.cloud().filter { $0.tags["landlord:tenant"] == tenant }
    }

    @Test func createWithoutApprovalIsActiveWithOutputs() async throws {
        let h = try Self.fleet()
        let r = try await Self.tenant(
            h,
            [
                "create", "--id", "initech", "--blueprint", "web", "--param", "subdomain=initech", "--param", "backendImage=img:1", "--param",
                "replicas=2", "--json",
            ])
        #expect(r.code == 0, "\(r.all)")
        let m = try Self.json(r)
        #expect(m["status"]?.stringValue == "active")
        #expect(m["outputs"]?.mapValue?["url"]?.stringValue?.hasPrefix("https://initech.") == true, "\(r.stdout)")
        #expect(m["parameters"]?.mapValue?["replicas"] == .int(2))
        #expect(m["resources"] == .int(14))
        #expect(FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/initech.yaml").path))
        #expect(try Self.resources(h, "initech").count == 14)
        // The CLI's own view of the fleet sees it.
        let status = try await CLI.run(["-C", h.dir.path, "status"])
        #expect(status.stdout.contains("initech") && status.stdout.contains("active"), "\(status.all)")
        let plan = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(plan.all.contains("No changes."), "\(plan.all)")
        // A second create of the same id is refused.
        let again = try await Self.tenant(
            h, ["create", "--id", "initech", "--blueprint", "web", "--param", "subdomain=x", "--param", "backendImage=i"])
        #expect(again.code == 1)
        #expect(again.stderr.contains("tenant 'initech' exists"), "\(again.all)")
    }

    @Test func generatedIDIsDNSSafe() async throws {
        let h = try Self.fleet()
        let r = try await Self.tenant(h, ["create", "--blueprint", "web", "--param", "subdomain=gen", "--param", "backendImage=img:1", "--json"])
        #expect(r.code == 0, "\(r.all)")
        let id = try Self.json(r)["id"]?.stringValue ?? ""
        #expect(id.range(of: "^t-[a-z0-9]{12}$", options: .regularExpression) != nil, "\(id)")
    }

    @Test func approvalThenActive() async throws {
        let h = try Self.fleet()
        let c = try await Self.tenant(
            h, ["create", "--id", "hooli", "--blueprint", "gated", "--param", "subdomain=hooli", "--param", "backendImage=img:1", "--json"])
        #expect(c.code == 0, "\(c.all)")
        #expect(try Self.json(c)["status"]?.stringValue == "pending_approval")
        // Its file is in the fleet, marked: plan lists it with the command that approves it,
        // and neither plan nor apply provisions it.
        #expect(try Self.file(h, "hooli").hasSuffix("\napproval: pending\n"))
        let plan = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(plan.stdout.contains("No changes."), "\(plan.all)")
        #expect(plan.stdout.contains("Awaiting approval: hooli"), "\(plan.all)")
        #expect(plan.stdout.contains("landlord tenant approve hooli"), "\(plan.all)")
        let json = try await CLI.run(["-C", h.dir.path, "plan", "--format", "json"])
        #expect(try JSON.parse(Array(json.stdout.utf8)).mapValue?["awaiting_approval"] == .list([.string("hooli")]), "\(json.stdout)")
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_FSYNC": "0"])
        #expect(apply.code == 0, "\(apply.all)")
        #expect(try Self.resources(h, "hooli").isEmpty)
        let status = try await CLI.run(["-C", h.dir.path, "status"])
        #expect(status.stdout.contains("pending_approval"), "\(status.all)")
        let list = try await Self.tenant(h, ["list", "--status", "pending_approval"])
        #expect(list.stdout.contains("hooli"), "\(list.all)")
        let a = try await Self.tenant(h, ["approve", "hooli", "--json"])
        #expect(a.code == 0, "\(a.all)")
        let m = try Self.json(a)
        #expect(m["status"]?.stringValue == "active")
        #expect(m["history"]?.listValue?.compactMap { $0.mapValue?["status"]?.stringValue } == ["pending_approval", "provisioning", "active"])
        #expect(try Self.resources(h, "hooli").count == 14)
        #expect(try !Self.file(h, "hooli").contains("approval"))
        // Approving again is refused: it no longer awaits approval.
        let twice = try await Self.tenant(h, ["approve", "hooli"])
        #expect(twice.code == 1)
        #expect(twice.stderr.contains("not awaiting approval"), "\(twice.all)")
    }

    @Test func rejectProvisionsNothing() async throws {
        let h = try Self.fleet()
        _ = try await Self.tenant(
            h, ["create", "--id", "piper", "--blueprint", "gated", "--param", "subdomain=piper", "--param", "backendImage=img:1"])
        #expect(FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/piper.yaml").path))
        let r = try await Self.tenant(h, ["reject", "piper", "--reason", "duplicate sign-up", "--json"])
        #expect(r.code == 0, "\(r.all)")
        let m = try Self.json(r)
        #expect(m["status"]?.stringValue == "rejected")
        #expect(m["history"]?.listValue?.last?.mapValue?["reason"]?.stringValue == "duplicate sign-up")
        #expect(try Self.resources(h, "piper").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/piper.yaml").path))
    }

    @Test func deleteLeavesNothing() async throws {
        let h = try Self.fleet()
        let c = try await Self.tenant(
            h, ["create", "--id", "umbrella", "--blueprint", "web", "--param", "subdomain=umbrella", "--param", "backendImage=img:1"])
        #expect(c.code == 0, "\(c.all)")
        #expect(try Self.resources(h, "umbrella").count == 14)
        let d = try await Self.tenant(h, ["delete", "umbrella", "--json"])
        #expect(d.code == 0, "\(d.all)")
        #expect(try Self.json(d)["status"]?.stringValue == "deleted")
        #expect(try Self.resources(h, "umbrella").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/umbrella.yaml").path))
    }

    @Test func failedApplyIsRecordedAndExitsOne() async throws {
        let h = try Self.fleet()
        let r = try await CLI.run(
            [
                "-C", h.dir.path, "tenant", "create", "--id", "failco", "--blueprint", "web", "--param", "subdomain=failco", "--param",
                "backendImage=i",
            ],
            env: ["LANDLORD_STATE_FSYNC": "0", "LANDLORD_MOCK_FAIL_MATCH": "failco/users"])
        #expect(r.code == 1, "\(r.all)")
        #expect(r.stdout.contains("tenant failco: failed"), "\(r.all)")
        #expect(r.stdout.contains("injected fault for failco/users"), "\(r.all)")
        let shown = try await Self.tenant(h, ["show", "failco", "--json"])
        #expect(try Self.json(shown)["status"]?.stringValue == "failed")
    }

    @Test func badParameterWritesNothing() async throws {
        let h = try Self.fleet()
        let r = try await Self.tenant(
            h, ["create", "--id", "typo", "--blueprint", "web", "--param", "subdomian=typo", "--param", "backendImage=img:1"])
        #expect(r.code == 1)
        // Named by the parameter, not by a line of the tenant file the command generated (issue 29).
        #expect(!r.stderr.contains("tenants/typo.yaml:"), "\(r.all)")
        #expect(r.stderr.contains("error: parameters.subdomian: unknown parameter 'subdomian' (did you mean 'subdomain'?)"), "\(r.all)")
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/typo.yaml").path))
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent(".landlord/service/tenants/typo.json").path))
        #expect(try h.cloud().isEmpty)
    }

    @Test func refusedWhileTheServiceLockIsHeld() async throws {
        let h = try Self.fleet()
        // A running `landlord serve` holds this lock for its whole life; flock locks of one
        // process conflict across open files, so holding it here stands in for the service.
        guard case .success(let lock) = try ServiceLockProbe.acquire(h.dir) else {
            Issue.record("could not take the service lock")
            return
        }
        defer { lock() }
        let r = try await Self.tenant(
            h, ["create", "--id", "busy", "--blueprint", "web", "--param", "subdomain=busy", "--param", "backendImage=img:1"])
        #expect(r.code == 1)
        #expect(r.stderr.contains("service lock"), "\(r.all)")
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/busy.yaml").path))
    }

    @Test func anUnapprovedTenantTimesOutAndItsFileGoes() async throws {
        let h = try Self.fleet(timeout: "1m")
        #expect(try await Self.create(h, "late").code == 0)
        #expect(FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/late.yaml").path))
        // Two minutes later, as far as the record knows: its times move back (the command runs
        // in a process of its own, so the test moves the record, not the clock).
        try Self.age(h, "late", by: 120)
        // The next command times it out: the record stays, the file goes, nothing was made.
        let shown = try await Self.tenant(h, ["show", "late", "--json"])
        #expect(try Self.json(shown)["status"]?.stringValue == "timed_out", "\(shown.all)")
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/late.yaml").path))
        #expect(try Self.resources(h, "late").isEmpty)
    }

    @Test func aBadApprovalValueIsADiagnostic() async throws {
        let h = try Self.fleet()
        try h.write(
            "tenants/odd.yaml",
            "apiVersion: landlord/v1\nkind: Tenant\nid: odd\nblueprint: web\nparameters: {subdomain: odd, backendImage: i}\napproval: pendng\n")
        let r = try await CLI.run(["-C", h.dir.path, "validate"])
        #expect(r.code == 1)
        #expect(r.stderr.contains("tenants/odd.yaml:6:11: error: unknown approval 'pendng' (did you mean 'pending'?)"), "\(r.all)")
        #expect(r.stderr.contains("landlord tenant approve ID"), "\(r.all)")
        let plan = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(plan.code == 1, "\(plan.all)")
    }

    @Test func listPagesWithACursor() async throws {
        let h = try Self.fleet()
        for id in ["aaa", "bbb", "ccc"] { #expect(try await Self.create(h, id).code == 0) }
        let first = try await Self.tenant(h, ["list", "--limit", "2"])
        #expect(first.code == 0, "\(first.all)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(first.stdout)")
        #expect(lines.first?.hasPrefix("TENANT  STATUS") == true, "\(first.stdout)")
        #expect(lines[1].hasPrefix("aaa ") && lines[1].contains("  pending_approval  "), "\(first.stdout)")
        #expect(lines.last == "next cursor: bbb (more with --cursor bbb)", "\(first.stdout)")
        let second = try await Self.tenant(h, ["list", "--limit", "2", "--cursor", "bbb", "--json"])
        let m = try Self.json(second)
        #expect(m["tenants"]?.listValue?.compactMap { $0.mapValue?["id"]?.stringValue } == ["ccc"], "\(second.stdout)")
        #expect(m["nextCursor"] == .null)
        let paged = try await Self.tenant(h, ["list", "--limit", "1", "--json"])
        #expect(try Self.json(paged)["nextCursor"] == .string("aaa"))
        let bad = try await Self.tenant(h, ["list", "--limit", "501"])
        #expect(bad.code != 0)
        #expect(bad.stderr.contains("--limit must be from 1 to 500"), "\(bad.all)")
    }

    @Test func everyVerbExplainsItselfAndTakesEventWait() async throws {
        for verb in ["create", "approve", "reject", "delete", "show", "list"] {
            let r = try await CLI.run(["tenant", verb, "--help"])
            #expect(r.code == 0, "\(verb): \(r.all)")
            #expect(r.stdout.contains("OVERVIEW:") && r.stdout.contains("/v1/tenants"), "\(verb) --help: \(r.stdout)")
            if ["create", "approve", "reject", "delete"].contains(verb) {
                #expect(r.stdout.contains("--event-wait"), "\(verb) --help: \(r.stdout)")
            }
        }
        let list = try await CLI.run(["tenant", "list", "--help"])
        #expect(list.stdout.contains("--cursor") && list.stdout.contains("--limit"), "\(list.stdout)")
        let h = try Self.fleet()
        let neg = try await Self.tenant(h, ["delete", "x", "--event-wait=-1"])
        #expect(neg.code != 0)
        #expect(neg.stderr.contains("--event-wait cannot be negative"), "\(neg.all)")
    }
}

/// Holds `.landlord/service/service.lock` as a running service does (flock, exclusive).
enum ServiceLockProbe {
    static func acquire(_ dir: URL) throws -> Result<@Sendable () -> Void, HarnessError> {
        let path = dir.appendingPathComponent(".landlord/service/service.lock").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else { return .failure(HarnessError("flock failed")) }
        _ = "landlord serve (test)\n".withCString { write(fd, $0, strlen($0)) }
        return .success({ close(fd) })
    }
}
