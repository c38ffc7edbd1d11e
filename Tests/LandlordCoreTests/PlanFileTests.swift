import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

@Suite struct PlanFileTests {
    @Test func aSecretWhoseHashDiffersIsNotRestored() {
        let planned = PlanFile.v2Secrets(PlanFile.hashSecrets(.map(["API_KEY": .sensitive("first"), "TIER": "x"])))
        #expect(PlanFile.containsHash(planned))
        #expect(PlanFile.restore(planned, .map(["API_KEY": .sensitive("second"), "TIER": "x"])) == nil)
        #expect(
            PlanFile.restore(planned, .map(["API_KEY": .sensitive("first"), "TIER": "x"])) == .map(["API_KEY": .sensitive("first"), "TIER": "x"]))
    }
}
