// Times ProviderAPI's hand-written JSON codec, and Foundation's two codecs on the same work,
// printing the best of several runs. Compiled alone with JSON.swift and Value.swift by
// scripts/bench-json.sh (and so run by scripts/bench.sh):
//   1. one large state-like document parsed (the reader's raw speed, comparable across git
//      revisions);
//   2. a realistic fleet state, TENANTS tenant documents of the quickstart's 14 resources as
//      Landlord writes them (sorted keys, indented), decoded and encoded document by document
//      as a plan and an apply do: with the hand codec (to `Value`), with JSONSerialization (to
//      `Any`) and with JSONDecoder/JSONEncoder (to Codable structs whose attribute values are
//      a Codable enum, since attributes have any shape).
import Foundation

func resource(tenant t: Int, _ r: Int) -> Value {
    .map([
        "type": "aws.lb_target_group",
        "id": .string("arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t-tenant\(t)-\(r)/50dc6c495c0c9188"),
        "inputs": .map([
            "name": .string("t-tenant\(t)-be-\(r)"), "port": .int(8080 + r), "protocol": "HTTP",
            "vpcId": "vpc-074fbfda710f9a931", "healthCheckPath": "/health",
            "environment": .map(["GREETING": .string("h\u{E9}llo \"w\u{F6}rld\"\n\t\u{1F600}"), "RATIO": .double(0.25 * Double(r))]),
        ]),
        "outputs": .map([
            "arn": .string("arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t-tenant\(t)-be-\(r)/50dc6c495c0c9188"),
            "records": .list([.string("alb-1-123456789.us-east-1.elb.amazonaws.com"), .int(t * 14 + r), .bool(true), .null]),
        ]),
        "dependencies": .list(r == 0 ? [] : [.string("res_\(r - 1)")]),
    ])
}

/// One tenant's state document, as `TenantState.encoded` writes it (format version 2).
func tenantDocument(_ t: Int) -> Value {
    var resources: [String: Value] = [:]
    for r in 0..<14 { resources["res_\(r)"] = resource(tenant: t, r) }
    return .map([
        "format_version": 2, "lineage": .string("5d0c9a34-7d4e-4d1b-9b0f-\(100_000_000_000 + t)"), "serial": .int(t % 7 + 1),
        "tenant": .string("tenant\(t)"), "blueprint": "web", "status": "active", "updated_at": "2026-11-22T18:00:00.123Z",
        "resources": .map(resources), "pending": .map([:]),
        "marks": .map(["sensitive": .list([.list(["resources", "res_3", "inputs", "environment", "GREETING"])])]),
    ])
}

/// The tenant document as Codable structs: what JSONDecoder needs to read one.
struct TenantDoc: Codable {
    var formatVersion: Int
    var lineage: String
    var serial: Int
    var tenant: String
    var blueprint: String
    var status: String
    var updatedAt: String
    var resources: [String: ResourceDoc]
    var pending: [String: ResourceDoc]
    var marks: [String: [[PathStepDoc]]]?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case updatedAt = "updated_at"
        case lineage, serial, tenant, blueprint, status, resources, pending, marks
    }
}

struct ResourceDoc: Codable {
    var type: String
    var id: String
    var inputs: [String: AnyJSON]
    var outputs: [String: AnyJSON]
    var dependencies: [String]
    var protect: Bool?
}

enum PathStepDoc: Codable {
    case key(String)
    case index(Int)
    init(from d: Decoder) throws {
        let c = try d.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .index(i) } else { self = .key(try c.decode(String.self)) }
    }
    func encode(to e: Encoder) throws {
        var c = e.singleValueContainer()
        switch self {
        case .key(let k): try c.encode(k)
        case .index(let i): try c.encode(i)
        }
    }
}

/// An attribute value of any shape.
enum AnyJSON: Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([AnyJSON])
    case map([String: AnyJSON])
    init(from d: Decoder) throws {
        let c = try d.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let x = try? c.decode(Double.self) {
            self = .double(x)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let l = try? c.decode([AnyJSON].self) {
            self = .list(l)
        } else {
            self = .map(try c.decode([String: AnyJSON].self))
        }
    }
    func encode(to e: Encoder) throws {
        var c = e.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let x): try c.encode(x)
        case .string(let s): try c.encode(s)
        case .list(let l): try c.encode(l)
        case .map(let m): try c.encode(m)
        }
    }
}

/// The best of `rounds` runs of `body`, in milliseconds.
func best(_ rounds: Int = 5, _ body: () throws -> Int) rethrows -> (ms: Double, check: Int) {
    var bestSeconds = Double.infinity
    var check = 0
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        check = try body()
        bestSeconds = min(bestSeconds, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (bestSeconds * 1000, check)
}

let tenants = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 1000

// 1. One large document.
let big = JSON.serialize(.map(["format_version": 1, "tenants": .list((0..<tenants).map(tenantDocument))]), sortedKeys: true, pretty: true)
let parsedBig = best(7) {
    if case .map(let m) = try! JSON.parse(big) { return m.count }
    return 0
}
print(
    String(
        format: "one document:  %.1f MB parsed in %.1f ms (best of 7), %.0f MB/s", Double(big.count) / 1e6, parsedBig.ms,
        Double(big.count) / 1e6 / (parsedBig.ms / 1000)))

// 2. A fleet's tenant documents, one by one.
let values = (0..<tenants).map(tenantDocument)
let documents = values.map { JSON.serialize($0, sortedKeys: true, pretty: true) }
let datas = documents.map { Data($0) }
let mb = Double(documents.reduce(0) { $0 + $1.count }) / 1e6
let decoder = JSONDecoder()
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
let structs = try datas.map { try decoder.decode(TenantDoc.self, from: $0) }
let objects = try datas.map { try JSONSerialization.jsonObject(with: $0) }

let rows: [(String, (ms: Double, check: Int), (ms: Double, check: Int))] = [
    (
        "hand codec (Value)",
        best { documents.reduce(0) { n, d in if case .map(let m) = try! JSON.parse(d) { return n + m.count } else { return n } } },
        best { values.reduce(0) { $0 + JSON.serialize($1, sortedKeys: true, pretty: true).count } }
    ),
    (
        "JSONSerialization (Any)",
        try best { try datas.reduce(0) { n, d in n + ((try JSONSerialization.jsonObject(with: d)) as! [String: Any]).count } },
        try best { try objects.reduce(0) { $0 + (try JSONSerialization.data(withJSONObject: $1, options: [.sortedKeys, .prettyPrinted])).count } }
    ),
    (
        "JSONDecoder (Codable)",
        try best { try datas.reduce(0) { n, d in n + (try decoder.decode(TenantDoc.self, from: d)).resources.count } },
        try best { try structs.reduce(0) { $0 + (try encoder.encode($1)).count } }
    ),
]
print(String(format: "%d tenant documents (%.1f MB, 14 resources each), best of 5:", tenants, mb))
let hand = rows[0]
for (name, decode, encode) in rows {
    let label = "  " + name.padding(toLength: 26, withPad: " ", startingAt: 0)
    print(
        label
            + String(
                format: "decode %7.1f ms (%4.1fx)   encode %7.1f ms (%4.1fx)", decode.ms, decode.ms / hand.1.ms, encode.ms, encode.ms / hand.2.ms))
}
