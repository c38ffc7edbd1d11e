import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs each test with sole use of the moto_server at AWS_ENDPOINT_URL: other suites reset moto
/// (`POST /moto-api/reset` forgets every bucket), so every test that uses moto, in this process
/// or another (another checkout's `scripts/test.sh`), holds an exclusive `flock` on a file named
/// after the endpoint. The wait polls, so a waiting test never blocks one of Swift's few
/// cooperative threads.
public struct MotoExclusive: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    @TaskLocal static var held = false

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard !test.isSuite, !Self.held, let endpoint = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"], !endpoint.isEmpty else {
            return try await function()
        }
        let name = endpoint.map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let path = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/landlord-moto-\(String(name)).lock"
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { return try await function() }
        defer { close(fd) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        defer { flock(fd, LOCK_UN) }
        try await Self.$held.withValue(true) { try await function() }
    }
}

extension Trait where Self == MotoExclusive {
    /// Sole use of moto for each test (see `MotoExclusive`).
    public static var motoExclusive: MotoExclusive { MotoExclusive() }
}
