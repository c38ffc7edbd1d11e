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
