import AWSClient
import Foundation
import LandlordCore
import LandlordS3State
import LandlordTestSupport
import QuickstartFleet
import Testing

extension Moto {
    /// A fresh bucket for one test.
    static func bucket() async throws -> String {
        let name = "landlord-state-\(UUID().uuidString.prefix(12).lowercased())"
        try await client().s3CreateBucket(name)
        return name
    }

    /// A store over `bucket`, as a separate process would have (its own ETag memory).
    static func store(_ bucket: String, prefix: String = "fleet", beforePlatformWrite: (@Sendable () async -> Void)? = nil) throws -> S3StateStore {
        S3StateStore(client: try client(), bucket: bucket, prefix: prefix, beforePlatformWrite: beforePlatformWrite)
    }
}

/// A tenant document with one resource.
func tenantState(_ id: String, image: String = "backend:1") -> TenantState {
    var s = TenantState(tenant: id, blueprint: "web")
    s.serial = 1
    s.status = .active
    s.updatedAt = Date(timeIntervalSince1970: 1_800_000_000)  // state files keep milliseconds
    s.resources["backend_task"] = ResourceState(
        type: "aws.ecs_task_definition", id: "arn:aws:ecs:us-east-1:123456789012:task-definition/t-\(id)-be:1",
        inputs: ["image": .string(image), "cpu": .int(256)], outputs: ["revision": .int(1)], dependencies: [])
    return s
}

/// The repository root, found from this file.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The quickstart fleet (the copy `landlord init` writes, the files of examples/quickstart) in
/// a temporary directory.
struct Fleet {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-s3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try QuickstartFleet.write(to: dir)
    }

    /// The quickstart blueprint with `count` tenants (t000, t001, ... or t0000, ... from 1,000
    /// on) instead of acme and globex, on a pool of `listeners` listeners holding `limit` rules
    /// and target groups each (100: 50 tenants a listener). State stays local.
    init(tenants count: Int, listeners: Int, limit: Int = 100) throws {
        try self.init()
        for id in ["acme", "globex"] { try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/\(id).yaml")) }
        for id in Self.tenantIDs(count) {
            try """
            apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: web\nparameters: {subdomain: s\(id), \
            backendImage: \"registry.example.com/backend:1.4.2\"}\n
            """
            .write(to: dir.appendingPathComponent("tenants/\(id).yaml"), atomically: true, encoding: .utf8)
        }
        let limits = "\n      maxRules: \(limit)\n      maxTargetGroups: \(limit)"
        let more = (1..<max(1, listeners)).map { i in
            """
            \n    - arn: \
            arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-\(i + 1)/50dc6c495c0c91\(i + 10)/f2f7dc8efc522a\(i + 10)\n
            """
                + "      dnsName: alb-\(i + 1)-123456789.us-east-1.elb.amazonaws.com" + limits
        }
        try edit("platform.yaml") { text in
            let first = "      dnsName: alb-1-123456789.us-east-1.elb.amazonaws.com"
            #expect(text.contains(first))
            return text.replacingOccurrences(of: first, with: first + limits + more.joined())
        }
    }

    /// The ids `init(tenants:listeners:limit:)` writes.
    static func tenantIDs(_ count: Int) -> [String] { (0..<count).map { String(format: count > 1000 ? "t%05d" : "t%03d", $0) } }

    var path: String { dir.path }

    func edit(_ relative: String, _ transform: (String) -> String) throws {
        let url = dir.appendingPathComponent(relative)
        try transform(String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
    }

    /// Points platform.yaml's state at the bucket.
    func useS3(bucket: String, prefix: String) throws {
        try edit("platform.yaml") { text in
            let s3 = "state: {backend: s3, bucket: \(bucket), prefix: \(prefix)}"
            #expect(text.contains("state: {backend: local}"))
            return text.replacingOccurrences(of: "state: {backend: local}", with: s3)
        }
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: dir.appendingPathComponent(relative).path) }
}

/// Runs the built `landlord` binary, as a user or CI would, with moto's environment.
enum CLI {
    typealias Run = ProcessRun

    static var binary: URL { Spawned.landlordBinary(repoRoot: repoRoot) }

    /// Starts the binary in the background.
    static func start(_ args: [String], env: [String: String] = [:]) throws -> Spawned {
        try Spawned(binary, args, env: env, base: Moto.environment)
    }

    /// Runs the binary to the end.
    static func run(_ args: [String], env: [String: String] = [:]) async throws -> Run {
        try await Spawned.run(binary, args, env: env, base: Moto.environment)
    }
}
