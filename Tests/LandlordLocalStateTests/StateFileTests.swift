import Foundation
import LandlordCore
import LandlordLocalState
import Testing

@Suite struct StateFileTests {
    @Test func aDamagedStateFileNamesTheFileAndItsBackup() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-state-\(UUID().uuidString)")
        let store = LocalStateStore(directory: dir.path)
        var s = TenantState(tenant: "acme", blueprint: "web")
        s.serial = 1
        try await store.saveTenant(s)
        s.serial = 2
        try await store.saveTenant(s)
        // A new run's first write keeps the previous document as the backup.
        let second = LocalStateStore(directory: dir.path)
        s.serial = 3
        try await second.saveTenant(s)
        let path = dir.appendingPathComponent("state/tenants/acme.json").path
        #expect(FileManager.default.fileExists(atPath: path + ".backup"))
        try "{\"tenant\": \"acme\", \"lineage\": ".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try await second.loadTenant("acme")
            Issue.record("a torn state file must not load")
        } catch let e as StateError {
            let text = e.description
            #expect(text.contains(path))
            #expect(text.contains(path + ".backup"))
            #expect(text.contains("Nothing was changed"))
        }
        let backup = try TenantState.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path + ".backup"))), cipher: nil, what: "backup")
        #expect(backup.serial == 2)
    }
}
