import Foundation
import ProviderAPI
import Testing

@testable import MockProvider

/// The simulated cloud's store: records read back from its files as they were put (every value
/// kind and mark), through the journal and through compaction, across processes (instances);
/// a torn journal tail is cut, a damaged cloud file refused with a message saying what to do.
@Suite struct MockCloudStoreTests {
    /// A fresh directory and cloud path.
    static func cloudPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mockstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("mock-cloud.json").path
    }

    /// One attribute of each kind, marks included, and strings that need escaping.
    static let everyKind: [String: Value] = [
        "null": .null, "yes": .bool(true), "no": .bool(false), "int": .int(-42), "big": .int(Int.max), "double": .double(2.5),
        "whole double": .double(3.0), "string": .string("plain"), "escapes": .string("quote \" backslash \\ newline \n tab \t ünïcødé ☃"),
        "empty list": .list([]), "empty map": .map([:]), "list": .list([.int(1), .string("two"), .list([.bool(true)])]),
        "map": .map(["a": .int(1), "b": .map(["c": .string("d")])]),
        "unknown": .unknown,
        "deferred": .deferred([.literal("https://"), .reference(resource: "lb", path: ["dnsName"]), .literal("/x")]),
        "secret": .sensitive(.string("hunter2")),
        "secret map": .sensitive(.map(["k": .string("v"), "later": .unknown])),
        "env": .map(["API_KEY": .sensitive(.string("dev-only")), "TIER": .string("basic")]),
        "items": .list([.string("a"), .sensitive(.int(7)), .map(["x": .unknown])]),
        "twice": .sensitive(.sensitive(.string("s"))),
        // A user's data whose key looks like a mark is data.
        "user data": .map(["$sensitive": .string("not a mark"), "marks": .list([])]),
    ]

    static let resource = MockResource(
        type: "aws.lb_target_group", id: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t-1/abc", attributes: everyKind,
        tags: ["landlord:address": "acme/backend_tg", "landlord:tenant": "acme", "odd \"tag\"": "va\\lue"])

    @Test func everyValueKindRoundTripsThroughTheJournalAndTheFile() throws {
        let path = try Self.cloudPath()
        // A type and id that need escaping are read by parsing their record, not by the quick key.
        let escaped = MockResource(type: "custom.\"quoted\"", id: "id with \\ and \u{1}", attributes: ["k": .sensitive(.string("v"))], tags: [:])
        try MockCloud(path: path).transact { tx in
            tx.put(Self.resource)
            tx.put(escaped)
        }
        // Another process (instance) reads them from the journal...
        let fromJournal = try MockCloud(path: path).snapshot()
        #expect(fromJournal.count == 2)
        #expect(fromJournal.contains(Self.resource))
        #expect(fromJournal.contains(escaped))
        // ... and from the cloud file after compaction.
        try MockCloud(path: path).compact()
        let journal = try Data(contentsOf: URL(fileURLWithPath: path + ".journal"))
        #expect(journal.isEmpty)
        let fromFile = try MockCloud(path: path).snapshot()
        #expect(Set(fromFile) == Set([Self.resource, escaped]))
        // The file is plain JSON with the marks beside the values: the secret is there for the
        // simulated cloud to return, but no value is written as a label.
        let doc = try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let records = try #require(doc.mapValue?["resources"]?.listValue)
        #expect(records.count == 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("(sensitive)") && !text.contains("(known after apply)"))
    }

    @Test func recordsStartWithTheirKeySoALoaderNeedsNoParse() throws {
        let record = Self.resource.record
        let key = record.withUnsafeBufferPointer { b in
            MockCloudIndex.quickKey(b).map {
                (
                    String(decoding: UnsafeBufferPointer(rebasing: b[$0.type]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: b[$0.id]), as: UTF8.self)
                )
            }
        }
        #expect(key?.0 == Self.resource.type && key?.1 == Self.resource.id)
        #expect(MockResource(record: record) == Self.resource)
        // A mark naming no value is a damaged record, not a silently different resource.
        var bad = Array(record.dropLast())
        bad += Array(",\"marks\":{\"sensitive\":[[\"attributes\",\"no such\"]]}}".utf8)
        #expect(MockResource(record: bad) == nil)
    }

    @Test func changesAndLookupsAgreeAcrossInstancesAndCompactions() throws {
        let path = try Self.cloudPath()
        let a = MockCloud(path: path)
        let b = MockCloud(path: path)
        func tg(_ n: Int) -> MockResource {
            MockResource(
                type: "aws.lb_target_group", id: "tg-\(n)", attributes: ["name": .string("t-\(n)")], tags: ["landlord:address": "t\(n)/backend_tg"])
        }
        func rule(_ n: Int, tg: Int) -> MockResource {
            MockResource(
                type: "aws.lb_listener_rule", id: "rule-\(n)",
                attributes: ["listener": "L", "priority": .int(n), "targetGroupArn": .string("tg-\(tg)")], tags: ["landlord:address": "t\(n)/rule"])
        }
        try a.transact { tx in for n in 0..<50 { tx.put(tg(n)) } }
        try a.compact()
        try b.transact { tx in
            for n in 0..<50 { tx.put(rule(n, tg: n)) }
            tx.delete(type: "aws.lb_target_group", id: "tg-49")
        }
        try a.transact { tx in
            #expect(tx.count(ofType: "aws.lb_target_group") == 49)
            #expect(tx.holder(of: "priority|L|7")?.id == "rule-7")
            #expect(tx.holder(of: "tg-name|t-3")?.id == "tg-3")
            #expect(tx.referrers(of: "tg-5").map(\.id) == ["rule-5"])
            #expect(tx.tagged("t9/backend_tg").map(\.id) == ["tg-9"])
            // An update moves the constraint key: the old one is free, the new one held.
            var r = try #require(tx.get(type: "aws.lb_listener_rule", id: "rule-7"))
            r.attributes["priority"] = .int(700)
            tx.put(r)
        }
        try b.compact()
        try a.transact { tx in
            #expect(tx.holder(of: "priority|L|7") == nil)
            #expect(tx.holder(of: "priority|L|700")?.id == "rule-7")
            #expect(tx.get(type: "aws.lb_target_group", id: "tg-49") == nil)
            #expect(tx.all(ofType: "aws.lb_listener_rule").count == 50)
        }
        #expect(try MockCloud(path: path).snapshot().count == 99)
    }

    @Test func aRollbackPutsBackWhatWasThere() throws {
        let path = try Self.cloudPath()
        let cloud = MockCloud(path: path)
        try cloud.transact { tx in tx.put(Self.resource) }
        try cloud.compact()
        try cloud.transact { tx in
            var changed = Self.resource
            changed.attributes["int"] = .int(1)
            tx.put(changed)
            tx.delete(type: "aws.lb_target_group", id: "nothing")
            tx.put(MockResource(type: "aws.iam_role", id: "new", attributes: [:], tags: [:]))
            tx.rollback()
            #expect(tx.get(type: Self.resource.type, id: Self.resource.id) == Self.resource)
            #expect(tx.get(type: "aws.iam_role", id: "new") == nil)
            #expect(tx.tagged("acme/backend_tg") == [Self.resource])
        }
        #expect(try MockCloud(path: path).snapshot() == [Self.resource])
        #expect(try cloud.snapshot() == [Self.resource])
    }

    @Test func aTornJournalTailIsCutAndTheRestKept() throws {
        let path = try Self.cloudPath()
        try MockCloud(path: path).transact { tx in
            tx.put(Self.resource)
            _ = tx.next("taskdef:x")
        }
        // A writer killed in the middle of its line.
        let torn = Array("{\"op\":\"put\",\"resource\":{\"type\":\"aws.iam_role\",\"id\":\"half".utf8)
        try AtomicFileAppend.append(torn, to: path + ".journal")
        let cloud = MockCloud(path: path)
        #expect(try cloud.snapshot() == [Self.resource])
        try cloud.transact { tx in
            #expect(tx.next("taskdef:x") == 2)
            tx.put(MockResource(type: "aws.iam_role", id: "whole", attributes: [:], tags: [:]))
        }
        let again = try MockCloud(path: path).snapshot()
        #expect(again.map(\.id) == ["whole", Self.resource.id])
    }

    @Test func aDamagedCloudFileIsRefusedWithWhatToDo() throws {
        let path = try Self.cloudPath()
        try MockCloud(path: path).transact { tx in
            for n in 0..<20 { tx.put(MockResource(type: "aws.iam_role", id: "role-\(n)", attributes: ["name": .string("r\(n)")], tags: [:])) }
        }
        try MockCloud(path: path).compact()
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        // Cut in the middle (a copy that stopped short): not a cloud file.
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        #expect {
            try MockCloud(path: path).snapshot()
        } throws: { error in
            "\(error)".contains("not valid JSON") && "\(error)".contains("delete") && "\(error)".contains("start from an empty cloud")
        }
        // A record damaged in place (its key intact): found when it is read.
        var text = String(decoding: whole, as: UTF8.self)
        text = text.replacingOccurrences(of: "\"name\":\"r7\"", with: "\"name\":\"r7\u{7f}")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let cloud = MockCloud(path: path)
        #expect(try cloud.transact { tx in tx.get(type: "aws.iam_role", id: "role-3")?.id } == "role-3")
        #expect {
            try cloud.transact { tx in tx.get(type: "aws.iam_role", id: "role-7") }
        } throws: { error in
            "\(error)".contains("damaged record") && "\(error)".contains("start from an empty cloud")
        }
    }

    @Test func cloudFilesOfTheOlderLayoutsStillLoad() throws {
        let path = try Self.cloudPath()
        let plain = MockResource(type: "aws.iam_role", id: "r1", attributes: ["name": "r1", "n": .int(3)], tags: ["landlord:address": "a/r"])
        func old(_ r: MockResource) -> Value {
            .map(["type": .string(r.type), "id": .string(r.id), "attributes": .map(r.attributes), "tags": .map(r.tags.mapValues { .string($0) })])
        }
        let other = MockResource(type: "aws.iam_role", id: "r2", attributes: ["name": "r2"], tags: [:])
        // One record a line, keys sorted (the previous compaction) ...
        var lines = "{\"counters\": {\"taskdef:x\":4},\n\"resources\": ["
        lines += "\n" + JSON.string(old(plain)) + ",\n" + JSON.string(old(other)) + "\n]}\n"
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
        let a = MockCloud(path: path)
        #expect(Set(try a.snapshot()) == [plain, other])
        #expect(try a.transact { tx in tx.next("taskdef:x") } == 5)
        #expect(try a.transact { tx in tx.tagged("a/r") } == [plain])
        // ... and the whole document on one line, with a journal of the older key order.
        let doc = JSON.string(.map(["counters": .map([:]), "resources": .list([old(plain)])]))
        try Data(doc.utf8).write(to: URL(fileURLWithPath: path))
        let put = JSON.string(.map(["resource": old(other), "op": "put"]))
        try Data((put + "\n").utf8).write(to: URL(fileURLWithPath: path + ".journal"))
        let b = MockCloud(path: path)
        #expect(Set(try b.snapshot()) == [plain, other])
        try b.compact()
        #expect(Set(try MockCloud(path: path).snapshot()) == [plain, other])
        // Compaction rewrote them in the current layout: each record line starts with its key.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.components(separatedBy: "\n").filter { $0.hasPrefix("{\"type\":\"aws.iam_role\",\"id\":") }.count == 2)
    }

    @Test func keysWithOneHashAreToldApart() {
        var index = MockCloudIndex()
        let a = index.add(
            hash: 7, type: "t", place: .memory, offset: 0, length: 0, resource: MockResource(type: "t", id: "a", attributes: [:], tags: [:]))
        let b = index.add(
            hash: 7, type: "t", place: .memory, offset: 0, length: 0, resource: MockResource(type: "t", id: "b", attributes: [:], tags: [:]))
        let c = index.add(
            hash: 7, type: "u", place: .memory, offset: 0, length: 0, resource: MockResource(type: "u", id: "c", attributes: [:], tags: [:]))
        #expect(Set(index.candidates(7)) == [a, b, c])
        index.remove(hash: 7, slot: b)
        #expect(Set(index.candidates(7)) == [a, c])
        #expect(index.live(ofType: "t") == [a])
        #expect(index.count == 2)
        // A slot freed in a transaction is not reused before its end.
        let d = index.add(hash: 8, type: "t", place: .memory, offset: 0, length: 0, resource: nil)
        #expect(d != b)
        index.endTransaction()
        let e = index.add(hash: 9, type: "t", place: .memory, offset: 0, length: 0, resource: nil)
        #expect(e == b)
    }
}

/// Appends bytes to a file (a torn write, as a killed writer leaves it).
enum AtomicFileAppend {
    static func append(_ bytes: [UInt8], to path: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: Data(bytes))
    }
}
