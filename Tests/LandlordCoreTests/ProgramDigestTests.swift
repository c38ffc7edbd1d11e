import Foundation
import Testing

@testable import LandlordCore

/// The plan cache names the program that plans by the digest of its bytes: the same bytes
/// installed anew (another path, inode and time, as on a fresh CI runner) are the same program,
/// other bytes are another, and the remembered digest is used only for the file it was taken of.
@Suite struct ProgramDigestTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("program-digest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A file written 10 s ago, as far as the racy rule is concerned (`now` 10 s ahead).
    let later = Date().addingTimeInterval(10)

    @Test func theDigestIsOfTheBytesAndHoldsForACopyElsewhere() throws {
        let dir = try scratch()
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // over a megabyte: read in pieces
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/landlord"))
        let digest = try #require(ProgramDigest.of(dir + "/landlord", memo: dir + "/memo", now: later))
        #expect(digest == Digest.sha256Hex(bytes))
        try FileManager.default.copyItem(atPath: dir + "/landlord", toPath: dir + "/installed-again")
        #expect(ProgramDigest.of(dir + "/installed-again", memo: dir + "/other-memo", now: later) == digest)
        #expect(ProgramDigest.of(dir + "/missing", memo: dir + "/memo") == nil)
    }

    @Test func aRememberedDigestIsUsedOnlyForTheFileItWasTakenOf() throws {
        let dir = try scratch()
        let program = dir + "/landlord"
        let memo = dir + "/cache/memo"
        try Data("one".utf8).write(to: URL(fileURLWithPath: program))
        let first = try #require(ProgramDigest.of(program, memo: memo, now: later))
        let identity = try #require(ProgramDigest.identity(program)?.text)
        // What is remembered is used as it is (so a planted digest shows it was not recomputed).
        let planted = String(repeating: "a", count: 64)
        try Data("\(identity) \(planted)\n".utf8).write(to: URL(fileURLWithPath: memo))
        #expect(ProgramDigest.of(program, memo: memo, now: later) == planted)
        // Rewritten in place with bytes of the same size: its change time moves, the memo is not used.
        try Data("two".utf8).write(to: URL(fileURLWithPath: program))
        let second = try #require(ProgramDigest.of(program, memo: memo, now: later))
        #expect(second == Digest.sha256Hex(Array("two".utf8)) && second != first && second != planted)
    }

    @Test func aProgramChangedJustNowIsNotRemembered() throws {
        let dir = try scratch()
        try Data("fresh".utf8).write(to: URL(fileURLWithPath: dir + "/landlord"))
        #expect(ProgramDigest.of(dir + "/landlord", memo: dir + "/memo", now: Date()) == Digest.sha256Hex(Array("fresh".utf8)))
        #expect(!FileManager.default.fileExists(atPath: dir + "/memo"))
    }
}
