import Foundation
import LandlordService
import LandlordTestSupport
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The landlord-server binary killed with SIGKILL at random moments and started again: every
/// accepted tenant reaches its final status, none is provisioned twice.
@Suite(.serialized) struct CrashTests {
    static var serverBinary: URL {
        let bundleDir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for candidate in [
            bundleDir.appendingPathComponent("landlord-server"), bundleDir.deletingLastPathComponent().appendingPathComponent("landlord-server"),
        ] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return repoRoot.appendingPathComponent(".build/debug/landlord-server")
    }

    /// A free loopback port (bound, read, released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Starts the binary on the fixture's fleet and waits until it answers.
    static func start(_ f: ServiceFixture) async throws -> Spawned {
        f.port = freePort()
        let server = try Spawned(serverBinary, ["-C", f.dir.path, "--listen", "127.0.0.1:\(f.port)"], env: f.env)
        if try await f.firstAnswer(from: server) { return server }
        if server.isRunning {
            Issue.record("landlord-server did not answer within \(ServiceFixture.firstAnswerSeconds) s")
        } else {
            let run = await server.finish()
            Issue.record("landlord-server exited \(run.code): \(run.stderr)")
        }
        return server
    }

    @Test func sigkillAtAnyMomentLosesNothingAndProvisionsNothingTwice() async throws {
        let f = try ServiceFixture(env: ["LANDLORD_MOCK_LATENCY_MS": "10"])
        var accepted: [String] = []
        var rng = SystemRandomNumberGenerator()
        for round in 0..<5 {
            let server = try await Self.start(f)
            for i in 0..<4 {
                let id = "r\(round)x\(i)"
                if try await f.create(id, blueprint: i % 2 == 0 ? "web" : "gated").status == 202 { accepted.append(id) }
            }
            // Approve what earlier rounds left waiting (a 409 is fine: already approved).
            for id in accepted where id.hasSuffix("x1") || id.hasSuffix("x3") { _ = try? await f.call("POST", "/v1/tenants/\(id)/approve") }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...400, using: &rng)))
            kill(server.pid, SIGKILL)
            _ = await server.finish()
        }
        let server = try await Self.start(f)
        for id in accepted { _ = try? await f.call("POST", "/v1/tenants/\(id)/approve") }
        for id in accepted {
            let t = try await f.wait(id, for: "active", seconds: 120)
            #expect(t["resources"]?.intValue == 14, "\(id)")
        }
        kill(server.pid, SIGTERM)
        _ = await server.finish()
        #expect(accepted.count == 20)
        // Nothing twice in the simulated cloud: exactly 14 resources per tenant.
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        try runtime.mock?.cloud.compact()
        let cloud = try JSON.parse(Array(try Data(contentsOf: f.dir.appendingPathComponent(".landlord/mock-cloud.json"))))
        #expect(cloud.mapValue?["resources"]?.listValue?.count == 14 * accepted.count)
    }
}
