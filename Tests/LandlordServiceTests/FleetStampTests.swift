import Foundation
import Testing

@testable import LandlordLifecycle

/// What the service's look at the fleet's files notices: added, removed, replaced and edited
/// files; on a large fleet an edit in place only once the full-scan interval passed.
@Suite struct FleetStampTests {
    static func fleet(tenants: Int) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-stamp-\(UUID().uuidString)")
        for sub in ["blueprints", "tenants"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try "kind: Platform\n".write(to: dir.appendingPathComponent("platform.yaml"), atomically: true, encoding: .utf8)
        try "kind: Blueprint\n".write(to: dir.appendingPathComponent("blueprints/web.yaml"), atomically: true, encoding: .utf8)
        for i in 0..<tenants {
            FileManager.default.createFile(atPath: dir.appendingPathComponent("tenants/t\(i).yaml").path, contents: Data("id: t\(i)\n".utf8))
        }
        return dir
    }

    /// Appends to a file in place (same inode, directory untouched).
    static func append(_ url: URL, _ text: String) throws {
        let h = try FileHandle(forWritingTo: url)
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
    }

    @Test func everyKindOfChangeIsSeen() throws {
        let dir = try Self.fleet(tenants: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        var stamp = FleetStamp.take(dir)
        #expect(FleetStamp.take(dir, previous: stamp).changes(since: stamp).isEmpty)
        try Self.append(dir.appendingPathComponent("tenants/t1.yaml"), "# edited in place\n")
        try "id: new\n".write(to: dir.appendingPathComponent("tenants/new.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/t2.yaml"))
        try "kind: Blueprint\nname: web\n".write(to: dir.appendingPathComponent("blueprints/web.yaml"), atomically: true, encoding: .utf8)
        let now = FleetStamp.take(dir, previous: stamp)
        #expect(now.changes(since: stamp) == ["blueprints/web.yaml", "tenants/new.yaml", "tenants/t1.yaml", "tenants/t2.yaml"])
        // A file this process wrote, noted, is not a change.
        stamp = now
        try "id: own\n".write(to: dir.appendingPathComponent("tenants/own.yaml"), atomically: true, encoding: .utf8)
        stamp.note(dir, "tenants/own.yaml")
        stamp.note(dir, "tenants")
        #expect(FleetStamp.take(dir, previous: stamp).changes(since: stamp).isEmpty)
    }

    /// With a watch, every file is stat'ed again a second after the last scan, or 20 times
    /// the scan's own time when that is longer: the scan of a large fleet is a twentieth of
    /// the service's time at most.
    @Test func aSlowScanIsRepeatedLessOften() throws {
        var stamp = FleetStamp()
        stamp.scanned = Date(timeIntervalSinceReferenceDate: 1000)
        stamp.scanSeconds = 0.01
        #expect(stamp.nextFullScan == Date(timeIntervalSinceReferenceDate: 1001))
        stamp.scanSeconds = 0.25
        #expect(stamp.nextFullScan == Date(timeIntervalSinceReferenceDate: 1005))
        // A real scan records its time.
        let dir = try Self.fleet(tenants: 50)
        defer { try? FileManager.default.removeItem(at: dir) }
        let taken = FleetStamp.take(dir)
        #expect(taken.scanSeconds > 0 && taken.scanSeconds < 60)
        #expect(taken.nextFullScan >= taken.scanned.addingTimeInterval(FleetStamp.fullScanInterval))
    }

    @Test func aLargeFleetSeesAnEditInPlaceAfterTheInterval() throws {
        let dir = try Self.fleet(tenants: FleetStamp.smallFleet)
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = Date()
        let stamp = FleetStamp.take(dir, now: start)
        try Self.append(dir.appendingPathComponent("tenants/t7.yaml"), "# edited in place\n")
        // Within the interval the directory is unchanged, so the tenant files are not stat'ed.
        #expect(FleetStamp.take(dir, previous: stamp, now: start.addingTimeInterval(0.5)).changes(since: stamp).isEmpty)
        let later = start.addingTimeInterval(FleetStamp.fullScanInterval + 0.1)
        #expect(FleetStamp.take(dir, previous: stamp, now: later).changes(since: stamp) == ["tenants/t7.yaml"])
        // A file added changes the directory: seen at once.
        try "id: new\n".write(to: dir.appendingPathComponent("tenants/new.yaml"), atomically: true, encoding: .utf8)
        #expect(
            FleetStamp.take(dir, previous: stamp, now: start.addingTimeInterval(0.5)).changes(since: stamp) == [
                "tenants/new.yaml", "tenants/t7.yaml",
            ])
    }
}
