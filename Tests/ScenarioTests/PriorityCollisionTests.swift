import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// Two applies planned against the same platform state collide on a banded rule priority:
/// the second re-allocates inside the band, never at priority 1 or on a foreign rule's.
@Suite struct PriorityCollisionTests {
    @Test func twoAppliesThatPlannedTheSamePriorityBothEndInsideTheBand() async throws {
        let h = try Harness()
        try h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "priority: auto", with: "priority: {auto: true, band: [2000, 2999]}") }
        // Both plans are made before either applies, so both choose 2000 and 2001.
        var files: [String] = []
        for id in ["acme", "globex"] {
            let file = h.dir.appendingPathComponent("\(id).plan").path
            let run = try await CLI.run(["-C", h.dir.path, "plan", "--tenant", id, "--out", file])
            try #require(run.code == 0, "plan \(id): \(run.stderr)")
            files.append(file)
        }
        for file in files {
            let run = try await CLI.run(["-C", h.dir.path, "apply", file])
            #expect(run.code == 0, "apply \(file): \(run.stdout)\(run.stderr)")
        }
        let rules = try h.cloud().filter { $0.type == AWSResourceTypes.listenerRule }
        try #require(rules.count == 4, "expected 4 rules in the cloud, found \(rules.count)")
        let priorities = rules.compactMap { $0.attributes["priority"]?.intValue }
        #expect(priorities.count == 4 && Set(priorities).count == 4, "priorities must be distinct: \(priorities)")
        #expect(priorities.allSatisfy { (2000...2999).contains($0) }, "every priority must stay in the band 2000-2999: \(priorities.sorted())")
        let platform = try await h.store.loadPlatform()
        let recorded = platform.allocations.values.flatMap(\.numbers.values)
        #expect(Set(recorded) == Set(priorities), "the platform state must record the priorities the cloud holds")
        #expect(try await h.plan().isEmpty, "a converged fleet plans no changes")
    }
}
