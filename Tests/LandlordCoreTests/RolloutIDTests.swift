import Foundation
import LandlordCore
import Testing

/// `RolloutRecord.newID` writes its time without a DateFormatter per id: the id must keep the
/// format it had, `r-yyyyMMdd-HHmmss-xxxx`, with the second that formatter wrote.
@Suite struct RolloutIDTests {
    @Test func theIdKeepsItsFormat() {
        let id = RolloutRecord.newID(at: Date(timeIntervalSince1970: 1_795_370_400.75))  // 2026-11-22 18:00:00.750 UTC
        #expect(id.hasPrefix("r-20261122-180000-"), "\(id)")
        #expect(id.range(of: "^r-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$", options: .regularExpression) != nil, "\(id)")
    }

    @Test func theTimeIsTheSecondADateFormatterWrote() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        var rng = SystemRandomNumberGenerator()
        var times: [Double] = [0, 0.9999, 59.9995, 86399.9999999, 951_782_400, 1_795_370_399.9994, 1_795_370_399.9996, 4_102_444_799.999]
        for _ in 0..<5_000 { times.append(Double.random(in: 0...4_102_444_799, using: &rng)) }
        for _ in 0..<1_000 { times.append(Double(Int.random(in: 0...4_102_444_799, using: &rng)) + 0.999 + Double.random(in: 0..<0.001)) }
        for t in times {
            let d = Date(timeIntervalSince1970: t)
            #expect(RolloutRecord.newID(at: d).dropFirst(2).dropLast(5) == f.string(from: d), "\(t)")
        }
    }
}
