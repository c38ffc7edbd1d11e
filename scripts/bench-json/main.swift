// Parses a large state-like JSON document with ProviderAPI's JSON codec and prints the best
// of several runs. Compiled alone with JSON.swift and Value.swift by scripts/bench-json.sh.
import Foundation

func makeDocument(tenants: Int) -> Value {
    var list: [Value] = []
    for t in 0..<tenants {
        var resources: [String: Value] = [:]
        for r in 0..<14 {
            resources["res_\(r)"] = .map([
                "type": "aws.lb_target_group",
                "inputs": .map([
                    "name": .string("t-tenant\(t)-be-\(r)"), "port": .int(8080 + r), "protocol": "HTTP",
                    "vpcId": "vpc-074fbfda710f9a931", "healthCheckPath": "/health",
                    "environment": .map(["GREETING": .string("h\u{E9}llo \"w\u{F6}rld\"\n\t\u{1F600}"), "RATIO": .double(0.25 * Double(r))]),
                ]),
                "outputs": .map([
                    "arn": .string("arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/t-tenant\(t)-be-\(r)/50dc6c495c0c9188"),
                    "records": .list([.string("alb-1-123456789.us-east-1.elb.amazonaws.com"), .int(t * 14 + r), .bool(true), .null]),
                ]),
            ])
        }
        list.append(.map(["id": .string("tenant\(t)"), "serial": .int(t), "resources": .map(resources)]))
    }
    return .map(["format_version": 1, "tenants": .list(list)])
}

let tenants = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 2000
let bytes = JSON.serialize(makeDocument(tenants: tenants), sortedKeys: true, pretty: true)
var best = Double.infinity
var checksum = 0
for _ in 0..<7 {
    let start = DispatchTime.now().uptimeNanoseconds
    let v = try! JSON.parse(bytes)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if case .map(let m) = v { checksum &+= m.count }
    best = min(best, elapsed)
}
print(String(format: "%.1f MB parsed in %.1f ms (best of 7), %.0f MB/s", Double(bytes.count) / 1e6, best * 1000, Double(bytes.count) / 1e6 / best))
