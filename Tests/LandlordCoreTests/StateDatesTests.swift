import Foundation
import LandlordCore
import Testing

/// `StateDates.seconds` replaces a new `ISO8601DateFormatter()` per date in the service's
/// listings and events: it must write exactly what that formatter writes.
@Suite struct StateDatesTests {
    @Test func wholeSecondsMatchFoundationsFormatterByteForByte() {
        let f = ISO8601DateFormatter()
        var rng = SystemRandomNumberGenerator()
        var times: [Double] = [0, 0.9999, 1.5, -0.5, -1.0001, 86399.9999999, -86400.5, 951_782_400, 4_102_444_799.9994, 1_765_000_000.999]
        for _ in 0..<20_000 { times.append(Double.random(in: -2_000_000_000...4_000_000_000, using: &rng)) }
        for _ in 0..<2_000 { times.append(Double(Int.random(in: 0...2_000_000_000, using: &rng)) + 0.9995 + Double.random(in: 0..<0.001)) }
        for t in times {
            let d = Date(timeIntervalSince1970: t)
            #expect(StateDates.seconds(d) == f.string(from: d), "\(t)")
        }
    }

    @Test func theWholeSecondsReadBack() throws {
        let d = Date(timeIntervalSince1970: 1_765_000_000)
        #expect(try #require(StateDates.parse(StateDates.seconds(d))) == d)
    }
}
