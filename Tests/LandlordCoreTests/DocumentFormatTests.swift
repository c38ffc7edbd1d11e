import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// Format version 2 of state, journal entries and saved plans: values are plain JSON and marks
/// live beside them, so a user's map with `$sensitive` / `$unknown` / `$deferred` keys is data
/// like any other; version 1 documents are still read; every document's version is checked.
@Suite struct DocumentFormatTests {
    /// A user's map whose keys are version 1's tags.
    static let lookalike: Value = .map([
        "$sensitive": "not a secret", "$unknown": true, "$deferred": ["x"], "$sensitive_sha256": "ab",
        "nested": .list([.map(["$unknown": true]), .map(["$sensitive": .map(["$aes256gcm": "AAAA"])])]),
    ])

    static let key = try! StateCipher(base64: Data(repeating: 7, count: 32).base64EncodedString(), source: "test")

    func state() -> TenantState {
        var s = TenantState(tenant: "acme", blueprint: "web")
        s.serial = 3
        s.updatedAt = Date(timeIntervalSince1970: 1_700_000_123.5)  // whole milliseconds, as documents keep them
        s.resources["cfg"] = ResourceState(
            type: "mock.config", id: "cfg-1",
            inputs: [
                "settings": Self.lookalike, "password": .sensitive("hunter2"),
                "env": .list(["a", .map(["value": .sensitive(.map(["inner": .sensitive("deep")]))])]),
            ],
            outputs: ["arn": "arn:x", "later": .unknown, "url": .deferred([.literal("https://"), .reference(resource: "lb", path: ["dns"])])],
            dependencies: ["lb"])
        s.outputs = ["dsn": .sensitive("postgres://u:pw@db/acme"), "raw": Self.lookalike]
        s.pending["db"] = PendingIntent(
            type: "mock.db", clientToken: "t", startedAt: Date(timeIntervalSince1970: 1_700_000_000), inputs: ["m": Self.lookalike])
        return s
    }

    @Test(arguments: [false, true]) func aLookalikeUserMapRoundTripsThroughStateUnmarked(sealed: Bool) throws {
        let s = state()
        let bytes = s.encoded(cipher: sealed ? Self.key : nil)
        let back = try TenantState.decode(bytes, cipher: sealed ? Self.key : nil, what: "test")
        #expect(back == s)
        #expect(back.resources["cfg"]?.inputs["settings"] == Self.lookalike)
        #expect(back.resources["cfg"]?.inputs["settings"]?.isSensitive == false)
        #expect(back.resources["cfg"]?.inputs["settings"]?.isKnown == true)
        #expect(back.pending["db"]?.inputs["m"] == Self.lookalike)
        #expect(back.outputs == s.outputs)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"format_version\": 2"))
        #expect(text.contains("hunter2") != sealed, "a sealed secret is never in clear")
        #expect(!text.contains("deep") || !sealed)
    }

    @Test func marksAreListedBesideTheValuesByPath() throws {
        let doc = try JSON.parse(state().encoded(cipher: nil))
        let marks = try #require(doc.mapValue?["marks"]?.mapValue)
        let sensitive = Set(marks["sensitive"]?.listValue ?? [])
        #expect(sensitive.contains(["resources", "cfg", "inputs", "password"]))
        #expect(sensitive.contains(["resources", "cfg", "inputs", "env", 1, "value"]))
        #expect(sensitive.contains(["resources", "cfg", "inputs", "env", 1, "value", "inner"]))
        #expect(marks["unknown"] == [["resources", "cfg", "outputs", "later"]])
        #expect(sensitive.contains(["outputs", "dsn"]), "a top-level field added later gets its marks with no extra work")
        #expect(doc.at(["resources", "cfg", "inputs", "password"]) == "hunter2")
        #expect(doc.at(["resources", "cfg", "outputs", "later"]) == .null)
    }

    @Test func sealedValuesStaySealedAndNeedTheKey() throws {
        let bytes = state().encoded(cipher: Self.key)
        let doc = try JSON.parse(bytes)
        let sealed = try #require(doc.mapValue?["marks"]?.mapValue?["sealed"]?.listValue)
        #expect(
            Set(sealed) == [["outputs", "dsn"], ["resources", "cfg", "inputs", "password"], ["resources", "cfg", "inputs", "env", 1, "value"]])
        #expect(throws: StateError.self) { try TenantState.decode(bytes, cipher: nil, what: "test") }
        let other = try StateCipher(base64: Data(repeating: 8, count: 32).base64EncodedString(), source: "test")
        #expect(throws: StateError.self) { try TenantState.decode(bytes, cipher: other, what: "test") }
    }

    @Test func aLookalikeUserMapRoundTripsThroughTheJournal() throws {
        var s = state()
        let change = StateChange.record("cfg", s.resources["cfg"]!)
        s.serial += 1
        for cipher in [nil, Self.key] {
            let entry = try JournalEntry.decode(JournalEntry(change, of: s).encoded(cipher: cipher), cipher: cipher, what: "test")
            #expect(entry.change == change)
            #expect(entry.serial == s.serial)
        }
    }

    @Test func aLookalikeUserMapRoundTripsThroughASavedPlan() throws {
        var c = ResourceChange(address: "acme/cfg", tenant: "acme", name: "cfg", type: "mock.config", action: .update)
        c.before = ["settings": Self.lookalike, "url": .deferred([.literal("a")])]
        c.after = ["settings": Self.lookalike, "password": .sensitive("hunter2"), "later": .unknown]
        var t = TenantPlan(tenant: "acme", blueprint: "web", operation: .provision)
        t.changes = [c]
        let plan = Plan(toolVersion: "test", platform: "p", tenants: [t], unchangedTenants: 0, createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        let bytes = PlanFile.encode(plan)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("hunter2"))
        let back = try PlanFile.decode(bytes)
        let after = try #require(back.tenants.first?.changes.first?.after)
        #expect(after["settings"] == Self.lookalike)
        #expect(after["later"] == .unknown)
        #expect(back.tenants.first?.changes.first?.before == c.before)
        #expect(PlanFile.containsHash(after["password"]!))
        var restored = back
        try PlanFile.restoreSecrets(&restored, from: plan)
        #expect(restored.tenants.first?.changes.first?.after == c.after)
    }

    // MARK: Version 1

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
        return Array(try Data(contentsOf: url))
    }

    /// A document version 1 wrote (checked in) reads as it did, and its next write is version 2.
    @Test func aVersion1TenantStateIsReadAndRewrittenAsVersion2() throws {
        let s = try TenantState.decode(try Self.fixture("tenant-state-v1.json"), cipher: Self.key, what: "fixture")
        let r = try #require(s.resources["backend"])
        #expect(r.inputs["password"] == .sensitive("s3cret-v1"))
        #expect(r.inputs["apiKey"] == .sensitive("k-123"))
        #expect(r.inputs["port"] == 8080)
        #expect(r.outputs["arn"] == .unknown)
        #expect(s.pending["db"]?.inputs["url"] == .deferred([.literal("https://"), .reference(resource: "lb", path: ["dnsName"])]))
        #expect(s.serial == 4 && s.status == .active)
        let rewritten = s.encoded(cipher: Self.key)
        #expect(try TenantState.decode(rewritten, cipher: Self.key, what: "test") == s)
        let text = String(decoding: rewritten, as: UTF8.self)
        #expect(text.contains("\"format_version\": 2") && !text.contains("$sensitive") && !text.contains("s3cret-v1"))
    }

    @Test func aVersion1JournalEntryIsRead() throws {
        let payload =
            #"{"tenant":"acme","lineage":"l","blueprint":"web","serial":2,"at":"2026-11-22T18:00:00.000Z","change":{"op":"record","#
            + #""name":"x","resource":{"type":"mock.t","id":"i","inputs":{"pw":{"$sensitive":"p"}},"outputs":{},"dependencies":[]}}}"#
        let entry = try JournalEntry.decode(Array(payload.utf8), cipher: nil, what: "test")
        #expect(entry.change == .record("x", ResourceState(type: "mock.t", id: "i", inputs: ["pw": .sensitive("p")], outputs: [:], dependencies: [])))
    }

    // MARK: Versions and shapes

    func withVersion(_ bytes: [UInt8], _ version: Value?) throws -> [UInt8] {
        var m = try #require(try JSON.parse(bytes).mapValue)
        m["format_version"] = version
        return JSON.serialize(.map(m))
    }

    @Test func aNewerVersionOfAnyDocumentSaysToUpgrade() throws {
        func expectUpgrade(_ body: () throws -> Void) {
            do {
                try body()
                Issue.record("a document of version 99 was read")
            } catch {
                #expect("\(error)".contains("Upgrade landlord"), "\(error)")
            }
        }
        expectUpgrade { _ = try TenantState.decode(try withVersion(state().encoded(cipher: nil), 99), cipher: nil, what: "t") }
        expectUpgrade { _ = try PlatformState.decode(try withVersion(PlatformState().encoded(), 99)) }
        let entry = JournalEntry(.status(.active), of: state()).encoded(cipher: nil)
        expectUpgrade { _ = try JournalEntry.decode(try withVersion(entry, 99), cipher: nil, what: "j") }
        let lock = LockInfo(holder: LockHolder(operation: .apply), expiresAt: Date()).encoded()
        expectUpgrade { _ = try LockInfo.decode(try withVersion(lock, 99), what: "l") }
        let plan = PlanFile.encode(Plan(toolVersion: "t", platform: "p", tenants: [], unchangedTenants: 0))
        var m = try #require(try JSON.parse(plan).mapValue)
        m["format_version"] = "99"
        m["checksum"] = nil
        m["checksum"] = .string(PlanFile.checksum(.map(m)))
        expectUpgrade { _ = try PlanFile.decode(JSON.serialize(.map(m))) }
    }

    @Test func aMalformedDocumentNamesWhatIsWrongAndWhere() throws {
        var m = try #require(try JSON.parse(state().encoded(cipher: nil)).mapValue)
        var resources = try #require(m["resources"]?.mapValue)
        var cfg = try #require(resources["cfg"]?.mapValue)
        cfg["type"] = 42
        resources["cfg"] = .map(cfg)
        m["resources"] = .map(resources)
        do {
            _ = try TenantState.decode(JSON.serialize(.map(m)), cipher: nil, what: "t")
            Issue.record("a resource with a numeric type was read")
        } catch let e as StateFormatError {
            #expect(e.message == "resources.cfg.type: expected a string, found a number")
        }
        m["resources"] = nil
        m["marks"] = ["unknown": [["resources", "nowhere"]]]
        #expect(throws: StateFormatError.self) { try TenantState.decode(JSON.serialize(.map(m)), cipher: nil, what: "t") }
        m["marks"] = nil
        m["updated_at"] = "yesterday"
        #expect(throws: StateFormatError.self) { try TenantState.decode(JSON.serialize(.map(m)), cipher: nil, what: "t") }
        m["format_version"] = nil
        #expect(throws: StateFormatError.self) { try TenantState.decode(JSON.serialize(.map(m)), cipher: nil, what: "t") }
    }

    /// Splitting marks off and putting them back gives the value again, for every kind of mark
    /// at every depth, sensitive inside sensitive included.
    @Test func marksSplitAndApplyBack() throws {
        let values: [Value] = [
            .null, .sensitive(.list([.sensitive("a"), .unknown])), .map(["k": .list([.map(["d": .deferred([])])])]),
            .list([.sensitive(.map(["x": .sensitive(.sensitive("y"))]))]), Self.lookalike,
        ]
        for v in values {
            let doc: Value = .map(["v": v])
            let (plain, marks) = DocumentMarks.split(doc)
            #expect(plain.isKnown && !plain.isSensitive)
            let marksBack = try DocumentMarks(json: marks.json ?? .map([:]))
            #expect(try marksBack.apply(to: plain, cipher: nil, what: "t") == doc)
            var sealedPlain = plain
            var sealedMarks = marks
            sealedMarks.seal(&sealedPlain, with: Self.key)
            let sealedBack = try DocumentMarks(json: sealedMarks.json ?? .map([:]))
            #expect(try sealedBack.apply(to: sealedPlain, cipher: Self.key, what: "t") == doc)
        }
    }
}
