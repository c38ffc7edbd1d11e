import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

@Suite struct DAGTests {
    @Test func topologicalOrderPutsDependenciesFirstAndIsStable() {
        var g = DAG(count: 4)
        g.addEdge(0, dependsOn: 2)
        g.addEdge(1, dependsOn: 2)
        g.addEdge(3, dependsOn: 0)
        #expect(g.topologicalOrder() == [2, 0, 1, 3])
        #expect(g.levels() == [[2], [0, 1], [3]])
        #expect(g.findCycle() == nil)
    }

    @Test func cyclesAreFoundAndNamed() {
        var g = DAG(count: 3)
        g.addEdge(0, dependsOn: 1)
        g.addEdge(1, dependsOn: 2)
        g.addEdge(2, dependsOn: 0)
        #expect(g.topologicalOrder() == nil)
        #expect(g.findCycle() == [0, 1, 2, 0])
    }
}

@Suite struct JSONTests {
    /// JSON holds plain data: a marked value that reaches the writer is written as its label,
    /// never its secret (documents split marks off first: `DocumentMarks`).
    @Test func markedValuesAreWrittenAsLabels() {
        let v: Value = .map(["u": .unknown, "sec": .sensitive("pw"), "def": .deferred([.literal("x-")])])
        #expect(JSON.string(v) == #"{"def":"(known after apply)","sec":"(sensitive)","u":"(known after apply)"}"#)
    }

    @Test func rejectsMalformedInputWithAnOffset() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse("{\"a\": [1, 2}") }
        #expect(throws: JSON.ParseError.self) { try JSON.parse("{\"a\": 1} trailing") }
        #expect(throws: JSON.ParseError.self) { try JSON.parse("\"unterminated") }
    }

    @Test func decodesUnicodeEscapes() throws {
        #expect(try JSON.parse("\"caf\\u00e9 \\ud83d\\ude00\"") == .string("café 😀"))
    }
}

@Suite struct StateDateTests {
    @Test func roundTripsAndReadsWholeSeconds() {
        let d = Date(timeIntervalSince1970: 1_795_456_789.123)
        let s = StateDates.string(d)
        #expect(s == "2026-11-23T17:59:49.123Z")
        #expect(abs(StateDates.date(s).timeIntervalSince1970 - d.timeIntervalSince1970) < 0.001)
        #expect(StateDates.date("2026-01-01T00:00:00Z").timeIntervalSince1970 == 1_767_225_600)
        #expect(StateDates.date("2000-02-29T12:00:00Z").timeIntervalSince1970 == 951_825_600)
        #expect(StateDates.date("garbage").timeIntervalSince1970 == 0)
    }
}
