import Foundation
import Testing

@testable import LandlordLifecycle

/// The kernel's account of the fleet's files between two requests: every spec file touched,
/// nothing else, and "cannot tell" when a spec directory is replaced.
@Suite(.enabled(if: FleetWatch(root: FileManager.default.temporaryDirectory) != nil, "needs Linux inotify"))
struct FleetWatchTests {
    @Test func eachTouchedSpecFileIsNamedOnceAndNothingElse() throws {
        let dir = try FleetStampTests.fleet(tenants: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let watch = try #require(FleetWatch(root: dir))
        #expect(watch.look() == [])
        try FleetStampTests.append(dir.appendingPathComponent("tenants/t1.yaml"), "# edited in place\n")
        try FleetStampTests.append(dir.appendingPathComponent("tenants/t1.yaml"), "# and again\n")
        try "id: new\n".write(to: dir.appendingPathComponent("tenants/new.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/t2.yaml"))
        try "kind: Blueprint\nname: web\n".write(to: dir.appendingPathComponent("blueprints/web.yaml"), atomically: true, encoding: .utf8)
        try FleetStampTests.append(dir.appendingPathComponent("platform.yaml"), "# edited\n")
        // Not spec files: an editor's backup, a hidden file, a note beside the fleet.
        try "x".write(to: dir.appendingPathComponent("tenants/t0.yaml~"), atomically: false, encoding: .utf8)
        try "x".write(to: dir.appendingPathComponent("tenants/.t0.yaml.swp"), atomically: false, encoding: .utf8)
        try "x".write(to: dir.appendingPathComponent("NOTES.md"), atomically: false, encoding: .utf8)
        #expect(
            watch.look() == ["platform.yaml", "blueprints/web.yaml", "tenants/new.yaml", "tenants/t1.yaml", "tenants/t2.yaml"])
        #expect(watch.look() == [], "each event is reported once")
    }

    @Test func aSpecDirectoryReplacedCannotBeToldThenIsWatchedAgain() throws {
        let dir = try FleetStampTests.fleet(tenants: 2)
        defer { try? FileManager.default.removeItem(at: dir) }
        let watch = try #require(FleetWatch(root: dir))
        // A checkout that swaps the directory: its old watch is gone, the caller stats every file.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants"), withIntermediateDirectories: false)
        #expect(watch.look() == nil)
        try "id: t9\n".write(to: dir.appendingPathComponent("tenants/t9.yaml"), atomically: true, encoding: .utf8)
        #expect(watch.look() == ["tenants/t9.yaml"], "the new directory is watched")
        // A fleet without blueprints/ at first: made later, it is watched from the next look on.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("blueprints"))
        #expect(watch.look() == nil)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("blueprints"), withIntermediateDirectories: false)
        #expect(watch.look() == nil)
        try "kind: Blueprint\n".write(to: dir.appendingPathComponent("blueprints/api.yaml"), atomically: true, encoding: .utf8)
        #expect(watch.look() == ["blueprints/api.yaml"])
    }

    @Test func aFleetDirectoryThatCannotBeWatchedHasNoWatch() {
        #expect(FleetWatch(root: URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")) == nil)
    }
}
