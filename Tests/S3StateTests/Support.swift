import AWSClient
import Foundation
import LandlordCore
import LandlordS3State
import Testing

/// The moto_server named by AWS_ENDPOINT_URL (`scripts/moto.sh start`, or `scripts/test.sh`).
enum Moto {
    static let endpoint: String? = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { endpoint != nil }
    static let disabledReason: Comment = "needs moto: run `scripts/moto.sh start` and export AWS_ENDPOINT_URL=http://127.0.0.1:5123"

    /// The environment with dummy credentials and a region filled in where unset.
    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if env["AWS_ACCESS_KEY_ID"] == nil { env["AWS_ACCESS_KEY_ID"] = "testing" }
        if env["AWS_SECRET_ACCESS_KEY"] == nil { env["AWS_SECRET_ACCESS_KEY"] = "testing" }
        if env["AWS_REGION"] == nil && env["AWS_DEFAULT_REGION"] == nil { env["AWS_REGION"] = "us-east-1" }
        return env
    }

    static func client() throws -> AWSClient {
        AWSClient(configuration: try AWSConfiguration.resolve(region: "us-east-1", environment: environment))
    }

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

/// A copy of examples/quickstart in a temporary directory.
struct Fleet {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-s3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = repoRoot.appendingPathComponent("examples/quickstart")
        for item in try FileManager.default.contentsOfDirectory(atPath: src.path) where item != ".landlord" {
            try FileManager.default.copyItem(at: src.appendingPathComponent(item), to: dir.appendingPathComponent(item))
        }
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

/// Runs the built `landlord` binary, as a user or CI would.
enum CLI {
    struct Run {
        var code: Int32
        var stdout: String
        var stderr: String
        var all: String { stdout + stderr }
    }

    /// The binary next to the test bundle (the test target depends on it, so it is built).
    static var binary: URL {
        let bundleDir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDir.appendingPathComponent("landlord"), bundleDir.deletingLastPathComponent().appendingPathComponent("landlord"),
                          repoRoot.appendingPathComponent(".build/debug/landlord")] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return repoRoot.appendingPathComponent(".build/debug/landlord")
    }

    /// A started process; `finish()` waits for it and collects its output.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let out = Pipe(), err = Pipe()
        private var stdout = Data(), stderr = Data()
        private let group = DispatchGroup()

        init(_ args: [String], env extra: [String: String]) throws {
            process.executableURL = CLI.binary
            process.arguments = args
            var env = Moto.environment
            env["NO_COLOR"] = "1"
            for (k, v) in extra { env[k] = v }
            process.environment = env
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            group.enter()
            DispatchQueue.global().async { self.stdout = self.out.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
            group.enter()
            DispatchQueue.global().async { self.stderr = self.err.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
        }

        var pid: Int32 { process.processIdentifier }

        func finish() -> Run {
            group.wait()
            process.waitUntilExit()
            return Run(code: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    /// Runs the binary and waits for it on a thread of its own (see ScenarioTests' CLI.run).
    static func run(_ args: [String], env: [String: String] = [:]) async throws -> Run {
        try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async { cont.resume(with: Result { try runBlocking(args, env: env) }) }
        }
    }

    static func runBlocking(_ args: [String], env: [String: String] = [:]) throws -> Run {
        try Running(args, env: env).finish()
    }
}
