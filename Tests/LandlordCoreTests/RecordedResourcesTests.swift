import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// A refresh reads skipped tenants' resources straight from their documents' bytes
/// (`TenantState.recordedResources`); what it gets must be exactly what decoding the whole
/// document gives, marks and sealed values included, and a document it cannot take as it is
/// must fail or be read as the whole decoder reads it.
@Suite struct RecordedResourcesTests {
    static let key = try! StateCipher(base64: Data(repeating: 7, count: 32).base64EncodedString(), source: "test")

    /// Resources with the marks a document after an apply holds: sensitive inputs (nested,
    /// inside lists, inside other sensitive values), sensitive outputs, an output shadowed by
    /// an input of the same name, and text that needs escapes.
    static func applied() -> TenantState {
        var s = TenantState(tenant: "acme", blueprint: "web")
        s.serial = 7
        s.status = .active
        s.resources["db"] = ResourceState(
            type: "mock.db", id: "db-1",
            inputs: [
                "password": .sensitive("hunter2"), "port": 5432, "name": "acme \"main\" db\n\u{e9}",
                "env": .list(["a", .map(["value": .sensitive(.map(["inner": .sensitive("deep")]))])]),
                "arn": "input wins",
            ],
            outputs: ["arn": "arn:db", "endpoint": "db.acme.internal", "token": .sensitive(.map(["t": 1])), "key": .sensitive("k")],
            dependencies: ["net"])
        s.resources["net"] = ResourceState(
            type: "mock.net", id: "net-1", inputs: ["cidr": "10.0.0.0/16"], outputs: [:], dependencies: [], protect: true)
        s.resources["empty"] = ResourceState(type: "mock.empty", id: "e", inputs: [:], outputs: ["only": true], dependencies: [])
        s.outputs = ["dsn": .sensitive("postgres://acme")]
        s.pending["later"] = PendingIntent(type: "mock.db", clientToken: "t", startedAt: Date(timeIntervalSince1970: 1_700_000_000), inputs: ["m": 1])
        return s
    }

    @Test(arguments: [false, true]) func theFastReaderGivesWhatTheWholeDocumentGives(sealed: Bool) throws {
        let cipher = sealed ? Self.key : nil
        let bytes = Self.applied().encoded(cipher: cipher)
        let whole = try TenantState.decode(bytes, cipher: cipher, what: "test").recordedResources
        let fast = try #require(try RecordedReader.read(bytes, cipher: cipher, what: { "test" }), "the fast reader took the document")
        #expect(fast == whole)
        #expect(try TenantState.recordedResources(bytes, cipher: cipher, what: "test") == whole)
        let db = try #require(fast.first { $0.name == "db" })
        #expect(db.object.attributes["password"] == .sensitive("hunter2"))
        #expect(db.object.attributes["arn"] == "input wins", "an input wins over the output of the same name")
        #expect(db.object.attributes["endpoint"] == "db.acme.internal")
        #expect(db.object.attributes["token"] == .sensitive(.map(["t": 1])))
        #expect(db.object.attributes["key"] == .sensitive("k"))
        #expect(db.inputs.map(\.key) == ["arn", "env", "name", "password", "port"])
        #expect(db.inputs.first { $0.key == "password" }?.value == .sensitive("hunter2"), "an input's value carries its marks")
        #expect(fast.map(\.name) == ["db", "empty", "net"])
    }

    /// The same rule whether the inputs came from a decoded document (its map, shared) or
    /// from the bytes (a sorted list).
    @Test(arguments: [false, true]) func driftIsCheckedOnInputsOnly(fromBytes: Bool) throws {
        let s = Self.applied()
        let resources = fromBytes ? try RecordedReader.read(s.encoded(cipher: nil), cipher: nil, what: { "test" }) : s.recordedResources
        let db = try #require(resources?.first { $0.name == "db" })
        var now = db.object
        #expect(!db.drifted(now))
        now.attributes["endpoint"] = "moved"
        #expect(!db.drifted(now), "an output is not drift")
        now.attributes["password"] = "hunter2"
        #expect(!db.drifted(now), "the same secret, reported unmarked, is not drift")
        now.attributes["port"] = nil
        #expect(!db.drifted(now), "an input the provider does not report is not drift")
        now.attributes["port"] = 5433
        #expect(db.drifted(now))
        #expect(db.drifted(nil), "gone is drift")
    }

    @Test func aSealedValueNeedsTheKeyAsTheWholeReaderDoes() throws {
        let bytes = Self.applied().encoded(cipher: Self.key)
        #expect(throws: StateError.self) { try TenantState.recordedResources(bytes, cipher: nil, what: "test") }
        let other = try StateCipher(base64: Data(repeating: 8, count: 32).base64EncodedString(), source: "test")
        #expect(throws: StateError.self) { try TenantState.recordedResources(bytes, cipher: other, what: "test") }
    }

    /// Unknown and deferred values, a marked output an input shadows, and version 1 documents
    /// are the whole reader's.
    @Test func whatTheFastReaderDoesNotTakeIsReadWhole() throws {
        var unknown = Self.applied()
        unknown.resources["db"]?.outputs["later"] = .unknown
        var shadowed = Self.applied()
        shadowed.resources["db"]?.outputs["arn"] = .sensitive("arn:db")
        for s in [unknown, shadowed] {
            let bytes = s.encoded(cipher: nil)
            #expect(try RecordedReader.read(bytes, cipher: nil, what: { "test" }) == nil)
            #expect(try TenantState.recordedResources(bytes, cipher: nil, what: "test") == s.recordedResources)
        }
        let v1 = try DocumentFormatTests.fixture("tenant-state-v1.json")
        #expect(try RecordedReader.read(v1, cipher: Self.key, what: { "test" }) == nil)
        #expect(
            try TenantState.recordedResources(v1, cipher: Self.key, what: "test")
                == TenantState.decode(v1, cipher: Self.key, what: "test").recordedResources)
    }

    @Test func aDamagedDocumentFailsAsTheWholeReaderFails() throws {
        let good = Self.applied().encoded(cipher: nil)
        let text = String(decoding: good, as: UTF8.self)
        func edited(_ change: (inout [String: Value]) -> Void) throws -> String {
            var doc = try #require(try JSON.parse(good).mapValue)
            change(&doc)
            return JSON.string(.map(doc), pretty: true)
        }
        let damaged: [String] = [
            String(text.prefix(text.count / 2)),
            text + "}",
            try edited { $0["format_version"] = 9 },
            try edited { $0["resources"] = .map(["net": .map(["type": 3, "id": "net-1"])]) },
            try edited { $0["resources"] = .list([]) },
            try edited { doc in
                var marks = doc["marks"]?.mapValue ?? [:]
                marks["sensitive"] = .list((marks["sensitive"]?.listValue ?? []) + [["resources", "nowhere", "inputs", "password"]])
                doc["marks"] = .map(marks)
            },
        ]
        for (i, doc) in damaged.enumerated() {
            #expect(doc != text, "damage \(i) changed the document")
            #expect(throws: (any Error).self, "damage \(i)") { try TenantState.decode(Array(doc.utf8), cipher: nil, what: "test") }
            #expect(throws: (any Error).self, "damage \(i)") { try TenantState.recordedResources(Array(doc.utf8), cipher: nil, what: "test") }
        }
    }

    @Test func theReaderReadsMembersAndRefusesWhatParseRefuses() throws {
        let bytes = Array(#"{"a": {"x": 1, "y": [true, null]}, "b": "two", "a": {"z": 2.5}}"#.utf8)
        var seen: [String] = []
        var map: [String: Value] = [:]
        let b = try JSON.read(bytes) { r throws(JSON.ParseError) -> String in
            var b = ""
            try r.members { key, r throws(JSON.ParseError) in
                seen.append(key)
                if key == "a" { try r.object(into: &map) } else { b = try r.string() }
            }
            return b
        }
        #expect(b == "two")
        #expect(seen == ["a", "b", "a"])
        #expect(map == ["x": 1, "y": [true, .null], "z": .double(2.5)])
        for bad in [#"{"a": 1"#, #"{"a" 1}"#, #"{"a": 1} x"#, #"[1]"#, #"{"a": "\x"}"#] {
            #expect(throws: JSON.ParseError.self, "\(bad)") {
                try JSON.read(Array(bad.utf8)) { r throws(JSON.ParseError) in try r.members { _, r throws(JSON.ParseError) in _ = try r.value() } }
            }
        }
    }
}
