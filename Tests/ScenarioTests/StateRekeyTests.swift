import Foundation
import LandlordTestSupport
import Testing

/// Key rotation through the `landlord` binary: `state: {keys: [current, previous...]}` reads
/// with every key and writes with the first; `landlord state rekey` moves everything to the
/// current key, and a rekey killed midway leaves every value readable with one of the keys.
@Suite struct StateRekeyTests {
    static let keyA = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let keyB = Data((0..<32).map { UInt8(100 + $0) }).base64EncodedString()
    /// Both keys in the environment; the legacy variable unset.
    static let env = ["LANDLORD_STATE_KEY": "", "KEY_A": keyA, "KEY_B": keyB]

    /// Sets `state:` to the local backend with these keys (`{env: KEY_A}` ...).
    func useKeys(_ h: Harness, _ names: [String]) throws {
        let list = names.map { "{env: \($0)}" }.joined(separator: ", ")
        try h.edit("platform.yaml") { text in
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first { $0.hasPrefix("state:") }!
            return text.replacingOccurrences(of: String(line), with: "state: {backend: local, keys: [\(list)]}")
        }
    }

    func document(_ h: Harness, _ tenant: String) throws -> String {
        try String(contentsOf: h.dir.appendingPathComponent(".landlord/state/tenants/\(tenant).json"), encoding: .utf8)
    }

    @Test func rotationFromKeyAToKeyBWithARekeyKilledMidway() async throws {
        let h = try Harness()
        try useKeys(h, ["KEY_A"])
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: Self.env)
        try #require(apply.code == 0, "\(apply.all)")

        // Rotate: B first, A kept. A change planned now is applied after the rekey: rekey keeps
        // every serial, so the saved plan stays applicable.
        try useKeys(h, ["KEY_B", "KEY_A"])
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.4.3") }
        let saved = h.dir.appendingPathComponent("change.plan").path
        let plan = try await CLI.run(["-C", h.dir.path, "plan", "--out", saved], env: Self.env)
        try #require(plan.code == 0, "\(plan.all)")
        let killed = try await CLI.run(
            ["-C", h.dir.path, "state", "rekey", "--parallelism", "1", saved],
            env: Self.env.merging(["LANDLORD_CRASH_AFTER_RESEAL": "1"]) { _, b in b })
        #expect(killed.code != 0 && !killed.stdout.contains("Re-sealed"), "the rekey was killed after one document: \(killed.all)")
        // Midway: acme sealed with B, globex still with A. The ring reads both...
        let midway = try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode"], env: Self.env)
        #expect(midway.code == 2, "only the planned image change: \(midway.all)")
        // ... and neither key alone does: the kill really left the state half-way.
        try useKeys(h, ["KEY_B"])
        let onlyB = try await CLI.run(["-C", h.dir.path, "plan"], env: Self.env)
        #expect(onlyB.code == 1 && onlyB.stderr.contains("encrypted with another state key") && onlyB.stderr.contains("globex"), "\(onlyB.all)")
        try useKeys(h, ["KEY_A"])
        let onlyA = try await CLI.run(["-C", h.dir.path, "plan"], env: Self.env)
        #expect(onlyA.code == 1 && onlyA.stderr.contains("acme"), "\(onlyA.all)")

        // Run again: it finishes the rest.
        try useKeys(h, ["KEY_B", "KEY_A"])
        let before = try document(h, "acme")
        let rekey = try await CLI.run(["-C", h.dir.path, "state", "rekey", saved], env: Self.env)
        try #require(rekey.code == 0, "\(rekey.all)")
        #expect(rekey.stdout.contains("1 document re-sealed"), "\(rekey.stdout)")
        #expect(rekey.stdout.contains("1 already current"), "\(rekey.stdout)")
        #expect(rekey.stdout.contains("plan files: 1 checked, 0 sealed values"), "\(rekey.stdout)")
        #expect(try document(h, "acme") == before, "a document already under the current key is not written again")
        let applied = try await CLI.run(["-C", h.dir.path, "apply", saved], env: Self.env)
        #expect(applied.code == 0, "the plan made before the rekey still applies: \(applied.all)")

        // Key B alone now reads everything, key A nothing.
        try useKeys(h, ["KEY_B"])
        let clean = try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode"], env: Self.env)
        #expect(clean.code == 0, "\(clean.all)")
        for t in ["acme", "globex"] {
            let doc = try document(h, t)
            #expect(doc.contains("\"sealed\": [") && !doc.contains("dev-only-api-key"), "\(t) stays sealed")
        }
        try useKeys(h, ["KEY_A"])
        let old = try await CLI.run(["-C", h.dir.path, "plan"], env: Self.env)
        #expect(old.code == 1 && old.stderr.contains("encrypted with another state key"), "key A opens nothing any more: \(old.all)")

        // Again with nothing left to do.
        try useKeys(h, ["KEY_B"])
        let again = try await CLI.run(["-C", h.dir.path, "state", "rekey"], env: Self.env)
        #expect(again.code == 0 && again.stdout.contains("0 documents re-sealed") && again.stdout.contains("2 already current"), "\(again.all)")
    }

    @Test func rekeySealsValuesStoredInClear() async throws {
        let h = try Harness()
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: Self.env)
        try #require(apply.code == 0, "\(apply.all)")
        #expect(try document(h, "acme").contains("dev-only-api-key"), "without a key the value is in clear")
        try useKeys(h, ["KEY_B"])
        let rekey = try await CLI.run(["-C", h.dir.path, "state", "rekey"], env: Self.env)
        #expect(rekey.code == 0 && rekey.stdout.contains("2 documents re-sealed"), "\(rekey.all)")
        #expect(!(try document(h, "acme")).contains("dev-only-api-key"))
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode"], env: Self.env).code == 0)
    }

    @Test func aMissingKeyOrABadSettingIsAClearErrorAndChangesNothing() async throws {
        let h = try Harness()
        try useKeys(h, ["KEY_A"])
        try #require(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: Self.env).code == 0)
        let before = try document(h, "acme")
        try useKeys(h, ["KEY_C", "KEY_A"])
        let missing = try await CLI.run(["-C", h.dir.path, "state", "rekey"], env: Self.env)
        #expect(missing.code == 1 && missing.stderr.contains("the environment variable KEY_C, which is not set"), "\(missing.all)")
        try useKeys(h, ["KEY_B", "KEY_GONE"])
        let previous = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: Self.env)
        #expect(previous.code == 1 && previous.stderr.contains("remove it from state.keys once `landlord state rekey`"), "\(previous.all)")
        try useKeys(h, ["KEY_B"])
        let wrong = try await CLI.run(["-C", h.dir.path, "state", "rekey"], env: Self.env)
        #expect(wrong.code == 1 && wrong.stderr.contains("encrypted with another state key"), "\(wrong.all)")
        #expect(wrong.stderr.contains("run `landlord state rekey` again"), "\(wrong.all)")
        #expect(try document(h, "acme") == before, "a key problem leaves the state untouched")

        try h.edit("platform.yaml") { $0.replacingOccurrences(of: "keys: [{env: KEY_B}]", with: "keys: [{vault: x}], key: {env: KEY_B}") }
        let bad = try await CLI.run(["-C", h.dir.path, "validate"], env: Self.env)
        #expect(bad.code == 1 && bad.stderr.contains("both 'key' and 'keys' are set"), "\(bad.all)")
        try h.edit("platform.yaml") { $0.replacingOccurrences(of: ", key: {env: KEY_B}", with: "") }
        let unknown = try await CLI.run(["-C", h.dir.path, "validate"], env: Self.env)
        #expect(unknown.code == 1 && unknown.stderr.contains("unknown kind of state key 'vault'"), "\(unknown.all)")
        #expect(unknown.stderr.contains("platform.yaml:"), "with file:line:col: \(unknown.stderr)")
    }
}
