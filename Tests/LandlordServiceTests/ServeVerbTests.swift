import Foundation
import LandlordTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `landlord serve` runs the landlord-server binary beside it, or says how to build it.
@Suite(.serialized) struct ServeVerbTests {
    @Test func serveStartsTheSiblingServer() async throws {
        let f = try ServiceFixture()
        f.port = CrashTests.freePort()
        let landlord = Spawned.landlordBinary(repoRoot: repoRoot)
        let server = try Spawned(landlord, ["-C", f.dir.path, "serve", "--listen", "127.0.0.1:\(f.port)"], env: f.env)
        let answered = try await f.firstAnswer(from: server)
        kill(server.pid, SIGTERM)
        let run = await server.finish()
        #expect(answered, "landlord serve did not answer: \(run.stderr)")
        #expect(run.stderr.contains("listening on http://127.0.0.1:\(f.port)"))
    }

    @Test func aMissingServerBinaryIsExplained() async throws {
        let f = try ServiceFixture()
        let alone = f.dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
        let copy = alone.appendingPathComponent("landlord")
        try FileManager.default.copyItem(at: Spawned.landlordBinary(repoRoot: repoRoot), to: copy)
        let run = try await Spawned.run(copy, ["-C", f.dir.path, "serve"], env: f.env)
        #expect(run.code == 1)
        #expect(run.stderr.contains("\(alone.path)/landlord-server does not exist"), "\(run.stderr)")
        #expect(run.stderr.contains("swift build --product landlord-server"))
    }
}
