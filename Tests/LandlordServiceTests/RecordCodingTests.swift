import Foundation
import LandlordCore
import ProviderAPI
import Testing

@testable import LandlordLifecycle

/// The record store's JSON is the project's own (`Value`, `DocumentFields`): records written by
/// `JSONEncoder` before (the fixtures: one from `landlord serve`, one with every optional field)
/// still load, are written back as the same JSON, and a damaged one's error names its field.
@Suite struct RecordCodingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/records-jsonencoder")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    @Test func aRecordWrittenByJSONEncoderLoads() throws {
        let r = try RecordCoding.decode(Self.fixture("load7.json"))
        #expect(r.id == "load7" && r.blueprint == "web" && r.status == .active && !r.force)
        #expect(r.document.hasPrefix("apiVersion: landlord/v1\nkind: Tenant\n"))
        #expect(r.history.map(\.status) == [.provisioning, .active])
        #expect(StateDates.seconds(r.createdAt) == "2026-12-07T11:21:11Z")
        #expect(r.deadline == nil && r.error == nil && r.pendingUpdate == nil)
    }

    @Test func everyOptionalFieldLoads() throws {
        let r = try RecordCoding.decode(Self.fixture("acme.json"))
        #expect(r.status == .updatePending && r.force)
        #expect(r.deadline == Date(timeIntervalSince1970: 1_765_003_600))
        #expect(r.history.map(\.reason) == [nil, "1 change failed", "parameters: tier"])
        let e = try #require(r.error)
        #expect(e.code == "apply_failed" && e.diagnostics.count == 2)
        #expect(e.diagnostics[0].file == "tenants/acme.yaml" && e.diagnostics[0].line == 4 && e.diagnostics[0].column == 3)
        #expect(e.diagnostics[1].parameter == "parameters.tier" && e.diagnostics[1].detail == nil)
        #expect(r.pendingUpdate?.changed == ["tier"] && r.pendingUpdate?.from == .failed)
    }

    @Test func aRecordIsWrittenBackAsTheSameJSON() throws {
        for name in ["load7.json", "acme.json"] {
            let bytes = try Self.fixture(name)
            let r = try RecordCoding.decode(bytes)
            // Same JSON value (JSONEncoder also escaped `/` as `\/`, which reads the same).
            #expect(try JSON.parse(RecordCoding.encode(r)) == JSON.parse(bytes), "\(name)")
            #expect(try RecordCoding.decode(RecordCoding.encode(r)) == r, "\(name)")
        }
    }

    @Test func aDamagedRecordsErrorNamesTheField() throws {
        let text = String(decoding: try Self.fixture("acme.json"), as: UTF8.self)
        let cases = [
            ("\"at\":\"2025-12-06T05:47:40Z\",", "", "history[1].at: missing"),
            ("\"line\":4", "\"line\":\"4\"", "error.diagnostics[0].line: expected an integer"),
            ("\"from\":\"failed\"", "\"from\":\"asleep\"", "pendingUpdate.from: unknown value 'asleep'"),
        ]
        for (from, to, message) in cases {
            #expect(text.contains(from))
            let error = #expect(throws: StateFormatError.self) { try RecordCoding.decode(Array(text.replacingOccurrences(of: from, with: to).utf8)) }
            #expect(error.map { "\($0)" }?.contains(message) == true, "\(String(describing: error))")
        }
        #expect(throws: (any Error).self) { try RecordCoding.decode(Array("{\"id\":".utf8)) }
    }
}
