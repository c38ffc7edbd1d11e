import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

/// Secrets at rest: private file modes under `.landlord` whatever the umask, sensitive values
/// sealed in state with the state key, a wrong or missing key a clear error.
@Suite struct SecretsAtRestTests {
    /// A base64 32-byte key (fixed, for tests only).
    static let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let otherKey = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()

    /// Every file and directory under `dir`, with its mode.
    func modes(_ dir: URL) -> [(path: String, mode: Int, isDirectory: Bool)] {
        var out: [(String, Int, Bool)] = []
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir.path) else { return [] }
        while let rel = e.nextObject() as? String {
            let path = dir.appendingPathComponent(rel).path
            guard let attrs = try? fm.attributesOfItem(atPath: path), let mode = (attrs[.posixPermissions] as? NSNumber)?.intValue else { continue }
            out.append((rel, mode & 0o777, attrs[.type] as? FileAttributeType == .typeDirectory))
        }
        return out
    }

    @Test func stateJournalLockAndPlanFilesArePrivateWhateverTheUmask() async throws {
        let h = try Harness()
        // umask 000: without explicit modes every file would be world-readable.
        let sh = URL(fileURLWithPath: "/bin/sh")
        let plan = h.dir.appendingPathComponent("tenants.plan").path
        for args in [["plan", "--out", plan], ["apply", plan]] {
            let cmd = "umask 000; exec \"$0\" -C \"$1\" " + args.map { "'\($0)'" }.joined(separator: " ")
            let run = try await Spawned.run(sh, ["-c", cmd, CLI.binary.path, h.dir.path])
            try #require(run.code == 0, "\(args): \(run.stderr)")
        }
        let landlord = h.dir.appendingPathComponent(".landlord")
        let rootMode = (try FileManager.default.attributesOfItem(atPath: landlord.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(rootMode & 0o777 == 0o700, ".landlord is \(String(rootMode & 0o777, radix: 8))")
        let entries = modes(landlord)
        #expect(entries.contains { $0.path.hasPrefix("state/tenants/") }, "state was written")
        for e in entries {
            #expect(e.mode == (e.isDirectory ? 0o700 : 0o600), ".landlord/\(e.path) is \(String(e.mode, radix: 8))")
        }
        let planMode = (try FileManager.default.attributesOfItem(atPath: plan)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(planMode & 0o777 == 0o600, "the plan file is \(String(planMode & 0o777, radix: 8))")
    }

    @Test func sensitiveValuesAreSealedInStateAndReadBackWithTheKey() async throws {
        let h = try Harness()
        let env = ["LANDLORD_STATE_KEY": Self.key]
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: env)
        try #require(apply.code == 0, "\(apply.stderr)")
        #expect(!apply.stderr.contains("stored in clear"), "with a key there is no warning")
        // The Cognito client secret and the task's API key are sensitive: not in clear on disk.
        let doc = try String(contentsOf: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json"), encoding: .utf8)
        #expect(doc.contains("\"sealed\": ["), "sensitive values must be sealed")
        #expect(!doc.contains("dev-only-api-key"), "the API key must not be in the state file in clear")
        // With the key: no changes, and `state show` still says (sensitive).
        let plan = try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode"], env: env)
        #expect(plan.code == 0, "\(plan.stdout)\(plan.stderr)")
        let show = try await CLI.run(["-C", h.dir.path, "state", "show", "acme/backend_task"], env: env)
        #expect(show.code == 0 && show.stdout.contains("(sensitive)") && !show.stdout.contains("dev-only-api-key"), "\(show.stdout)\(show.stderr)")
    }

    @Test func aWrongOrMissingKeyIsAClearErrorAndChangesNothing() async throws {
        let h = try Harness()
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_KEY": Self.key])
        try #require(apply.code == 0, "\(apply.stderr)")
        let before = try String(contentsOf: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json"), encoding: .utf8)
        let cloudBefore = try h.cloud().count

        let wrong = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_KEY": Self.otherKey])
        #expect(wrong.code == 1)
        #expect(wrong.stderr.contains("encrypted with another state key"), "\(wrong.stderr)")
        let missing = try await CLI.run(["-C", h.dir.path, "plan"], env: ["LANDLORD_STATE_KEY": ""])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("no state key is set; set LANDLORD_STATE_KEY"), "\(missing.stderr)")
        let malformed = try await CLI.run(["-C", h.dir.path, "plan"], env: ["LANDLORD_STATE_KEY": "short"])
        #expect(malformed.code == 1 && malformed.stderr.contains("not 32 bytes in base64"), "\(malformed.stderr)")

        let after = try String(contentsOf: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json"), encoding: .utf8)
        #expect(after == before, "a key problem must leave the state untouched")
        #expect(try h.cloud().count == cloudBefore, "and must not re-create anything")
    }

    @Test func withoutAKeyStateStaysReadableWithOneWarning() async throws {
        let h = try Harness()
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_KEY": ""])
        try #require(apply.code == 0, "\(apply.stderr)")
        let warnings = apply.stderr.components(separatedBy: "stored in clear").count - 1
        #expect(warnings == 1, "one warning naming LANDLORD_STATE_KEY: \(apply.stderr)")
        #expect(apply.stderr.contains("LANDLORD_STATE_KEY"))
    }

    @Test func aKeyFileNamedInPlatformYamlIsUsed() async throws {
        let h = try Harness()
        try h.write("state.key", Self.key + "\n")
        try h.edit("platform.yaml") { $0.replacingOccurrences(of: "state: {backend: local}", with: "state: {backend: local, keyFile: state.key}") }
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_KEY": ""])
        try #require(apply.code == 0, "\(apply.stderr)")
        let doc = try String(contentsOf: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json"), encoding: .utf8)
        #expect(doc.contains("\"sealed\": ["))
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode"], env: ["LANDLORD_STATE_KEY": ""]).code == 0)
    }

    @Test func encryptionRequiredRefusesToRunWithoutAKey() async throws {
        let h = try Harness()
        try h.edit("platform.yaml") {
            $0.replacingOccurrences(of: "state: {backend: local}", with: "state: {backend: local, encryption: required}")
        }
        let refused = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_KEY": ""])
        #expect(refused.code == 1, "\(refused.all)")
        #expect(refused.stderr.contains("`state: {encryption: required}` and no state key is set"), "\(refused.stderr)")
        #expect(refused.stderr.contains("LANDLORD_STATE_KEY"))
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json").path))
        // With the key, sensitive values are sealed and no warning is given.
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: ["LANDLORD_STATE_KEY": Self.key])
        try #require(apply.code == 0, "\(apply.stderr)")
        #expect(!apply.stderr.contains("stored in clear"))
        let doc = try String(contentsOf: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json"), encoding: .utf8)
        #expect(doc.contains("\"sealed\": ["))
        // A misspelt setting is a diagnostic, not a silent default.
        try h.edit("platform.yaml") { $0.replacingOccurrences(of: "encryption: required", with: "encryption: yes") }
        let bad = try await CLI.run(["-C", h.dir.path, "plan"], env: ["LANDLORD_STATE_KEY": Self.key])
        #expect(bad.code == 1 && bad.stderr.contains("'encryption' must be `required` or `optional`"), "\(bad.stderr)")
    }

    @Test func sealingIsStableAndRoundTrips() throws {
        let cipher = try StateCipher(base64: Self.key, source: "test")
        var state = TenantState(tenant: "acme", blueprint: "web")
        state.resources["client"] = ResourceState(
            type: "aws.cognito_user_pool_client", id: "c1", inputs: ["name": "x"], outputs: ["secret": .sensitive("s3cr3t")], dependencies: [])
        let a = state.encoded(cipher: cipher)
        let b = state.encoded(cipher: cipher)
        #expect(a == b, "the same state seals to the same bytes (no churn, comparable by migrate)")
        #expect(!String(decoding: a, as: UTF8.self).contains("s3cr3t"))
        let back = try TenantState.decode(a, cipher: cipher, what: "test")
        #expect(back.resources["client"]?.outputs["secret"] == .sensitive("s3cr3t"))
    }
}
