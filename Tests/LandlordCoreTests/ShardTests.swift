import Foundation
import LandlordCore
import Testing

/// `--shard K/N`: parsing, and a split that every process and machine agrees on.
@Suite struct ShardTests {
    @Test func partsAreReadAsKOfNFromOne() throws {
        let s = try Shard.parse("2/4")
        #expect(s.index == 2 && s.count == 4)
        #expect(s.description == "2/4")
        #expect(try Shard.parse(" 1/1 ") == Shard(index: 1, count: 1))
    }

    @Test(arguments: [
        ("0/4", "K must be between 1 and 4"), ("5/4", "K must be between 1 and 4"), ("1/0", "N must be at least 1"),
        ("2", "not of the form K/N"), ("a/b", "not of the form K/N"), ("1/2/3", "not of the form K/N"), ("-1/4", "K must be between 1 and 4"),
        ("", "not of the form K/N"),
    ])
    func badPartsAreRefusedSayingWhatIsAccepted(text: String, reason: String) {
        #expect(throws: InvalidShard.self) { try Shard.parse(text) }
        do { _ = try Shard.parse(text) } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains("--shard takes K/N"))
            #expect(error.description.contains("'\(text)'"))
        }
    }

    /// The split is SHA-256 of the id, not Swift's per-process seeded `Hasher`: these parts were
    /// worked out outside Swift (`printf %s acme | sha256sum`: 822b33ad87c148a0... mod 4 = 0).
    @Test func theSplitIsSHA256OfTheIdAndTheSameEverywhere() {
        #expect(Shard.hash("acme") == 0x822b_33ad_87c1_48a0)
        #expect(Shard.hash("globex") == 0x5bc1_a08d_28e4_0fe7)
        #expect(Shard.part(of: "acme", count: 4) == 1)
        #expect(Shard.part(of: "globex", count: 4) == 4)
        #expect(Shard.part(of: "globex", count: 3) == 2)
        #expect(Shard.part(of: "t000", count: 4) == 4)
    }

    @Test func everyTenantIsInExactlyOnePartAndThePartsAreEven() {
        let ids = (0..<200).map { String(format: "t%03d", $0) }
        let shards = (1...4).map { Shard(index: $0, count: 4)! }
        var sizes: [Int] = []
        for s in shards { sizes.append(ids.filter(s.contains).count) }
        for id in ids { #expect(shards.filter { $0.contains(id) }.count == 1) }
        #expect(sizes == [49, 52, 52, 47])
        // One part is the whole fleet.
        #expect(ids.allSatisfy(Shard(index: 1, count: 1)!.contains))
    }

    @Test func aSavedPlanIsAppliedOnlyAsItsOwnPart() {
        var plan = Plan(
            toolVersion: "t", platform: "p", tenants: [TenantPlan(tenant: "acme", blueprint: "web", operation: .provision)], unchangedTenants: 0)
        #expect(Shard.mismatch(plan, requested: nil) == nil)
        #expect(Shard.mismatch(plan, requested: Shard(index: 1, count: 4))?.contains("covers the whole fleet, not shard 1/4") == true)
        plan.shard = ShardCoverage(shard: Shard(index: 1, count: 4)!, tenants: 1, fleetTenants: 2)
        #expect(Shard.mismatch(plan, requested: nil) == nil)
        #expect(Shard.mismatch(plan, requested: Shard(index: 1, count: 4)) == nil)
        #expect(Shard.mismatch(plan, requested: Shard(index: 2, count: 4))?.contains("is for shard 1/4, not 2/4") == true)
        // A tenant of another part in a part's plan (the file was assembled by hand).
        plan.tenants.append(TenantPlan(tenant: "globex", blueprint: "web", operation: .provision))
        #expect(Shard.mismatch(plan, requested: nil)?.contains("holds tenant 'globex', which belongs to shard 4/4") == true)
    }
}
