import Foundation
import ProviderAPI

/// Where a tenant is in its life.
public enum TenantStatus: String, Sendable, Hashable, CaseIterable {
    case provisioning, active, failed, destroying, destroyed
    /// A rollout rolled it back to what it was before (``Rollout``): held until its spec changes.
    case rolledBack = "rolled_back"
}

/// One resource as recorded: its id, the inputs it was applied with, and what the provider
/// computed (ARNs, ids).
public struct ResourceState: Sendable, Hashable {
    public var type: String
    public var id: String
    public var inputs: [String: Value]
    public var outputs: [String: Value]
    /// Names of the resources of the same tenant this one depends on.
    public var dependencies: [String]
    public var protect: Bool
    /// The blueprint's `deletion:` when it was recorded.
    public var deletion: DeletionPolicy = .delete

    public init(type: String, id: String, inputs: [String: Value], outputs: [String: Value], dependencies: [String], protect: Bool = false) {
        self.type = type
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
        self.dependencies = dependencies
        self.protect = protect
    }

    /// Inputs and outputs together, as references see them.
    public var attributes: [String: Value] { inputs.merging(outputs) { a, _ in a } }

    /// The resource as a provider object.
    public var object: ResourceObject { ResourceObject(type: type, id: id, attributes: attributes) }
}

/// A create that was started but whose result was not recorded yet. On the next run it is
/// resolved by asking the provider for a resource carrying the address's tags.
public struct PendingIntent: Sendable, Hashable {
    public var type: String
    public var clientToken: String
    public var startedAt: Date
    public var inputs: [String: Value]

    public init(type: String, clientToken: String, startedAt: Date, inputs: [String: Value]) {
        self.type = type
        self.clientToken = clientToken
        self.startedAt = startedAt
        self.inputs = inputs
    }
}

/// One tenant's state document: versioned, with lineage (which history this is) and serial
/// (how many writes it has had).
public struct TenantState: Sendable, Hashable {
    /// The version written: 2 (marks beside values, `DocumentMarks`); 1 is still read.
    public static let formatVersion = 2
    public var lineage: String
    public var serial: Int
    public var tenant: String
    public var blueprint: String
    public var status: TenantStatus
    public var resources: [String: ResourceState]
    public var pending: [String: PendingIntent]
    /// The blueprint's `outputs:` as computed at the tenant's last apply, by name; sensitive
    /// ones wrapped in `.sensitive` (sealed in the document when state has a key).
    public var outputs: [String: Value] = [:]
    /// Exports made by `deletion: snapshot` before deleting, by state key (`ExportRecords.swift`).
    public var exports: [String: ExportRecord] = [:]
    public var updatedAt: Date
    /// The plan key apply found this state clean for (`AppliedKeyRecorder`), written as the
    /// document's `applied_from` (`AppliedKey`). Set only by apply, just before its last write
    /// of the tenant; never read back from a document, so no other write carries it on.
    public var appliedFrom: String?

    public init(tenant: String, blueprint: String) {
        lineage = UUID().uuidString.lowercased()
        serial = 0
        self.tenant = tenant
        self.blueprint = blueprint
        status = .provisioning
        resources = [:]
        pending = [:]
        updatedAt = Date()
    }
}

/// Where one tenant sits in the shared capacity (AllocationRules): the pool member it is
/// placed on, the numbers its resources hold there, the capacity it uses on that member.
/// Stored as `member`, `numbers` and one key per capacity (`rules`, `targetGroups`); documents
/// written before pools were declared alike say `listener` and `priorities`, and still read.
public struct TenantAllocation: Sendable, Hashable {
    /// The pool member its resources are placed on, and the scope of its numbers.
    public var member: String
    /// Allocated numbers (e.g. rule priorities) by resource name.
    public var numbers: [String: Int]
    /// Capacity it holds on that member, by capacity name (every capacity of the pool, zero
    /// when unused).
    public var usage: [String: Int]
    /// The band each `{auto: true, band: [lo, hi]}` number was allocated from, by resource
    /// name (absent: the type's full range). Carried in plans so that apply, re-allocating a
    /// number a concurrent apply took, stays inside it.
    public var bands: [String: ClosedRange<Int>] = [:]

    public init(member: String, numbers: [String: Int] = [:], usage: [String: Int] = [:], bands: [String: ClosedRange<Int>] = [:]) {
        self.member = member
        self.numbers = numbers
        self.usage = usage
        self.bands = bands
    }

    /// Keys of the stored form that are not capacities (with the older form's names).
    static let fixedKeys = Set(["member", "numbers", "bands"]).union(olderKeys.values)
    /// The older form's names of `member` and `numbers`.
    static let olderKeys = ["member": "listener", "numbers": "priorities"]

    /// The stored form's member, numbers and capacities (bands are the plan file's); read by
    /// `init(_: DocumentFields)`.
    var stored: [String: Value] {
        var m: [String: Value] = ["member": .string(member), "numbers": .map(numbers.mapValues { .int($0) })]
        for (c, n) in usage where !Self.fixedKeys.contains(c) { m[c] = .int(n) }
        return m
    }
}

/// The platform document: shared allocations (listener placement, rule priorities).
public struct PlatformState: Sendable, Hashable {
    /// The version written: 3, whose allocations say `member` and `numbers` (1 and 2, which
    /// say `listener` and `priorities`, are still read; a landlord that reads only those
    /// refuses 3 as newer instead of misreading it).
    public static let formatVersion = 3
    public var lineage: String
    public var serial: Int
    public var allocations: [String: TenantAllocation]
    /// The next number of each sequence (only ever grows).
    public var sequences: [String: Int] = [:]
    /// Each tenant's numbers, by sequence.
    public var numbers: [String: [String: Int]] = [:]

    public init() {
        lineage = UUID().uuidString.lowercased()
        serial = 0
        allocations = [:]
    }
}

/// Dates as ISO 8601 UTC text in state files (`2026-11-22T18:00:00.123Z`), written and read
/// by hand: Foundation's formatter was a fifth of a 10,000-tenant plan.
public enum StateDates {
    /// `2026-11-22T18:00:00.123Z`.
    public static func string(_ d: Date) -> String {
        let t = d.timeIntervalSince1970
        var secs = Int(t.rounded(.down))
        let millis = min(999, Int(((t - Double(secs)) * 1000).rounded()))
        let days = Int((Double(secs) / 86400).rounded(.down))
        secs -= days * 86400
        let (y, m, dd) = civil(fromDays: days)
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(p(y, 4))-\(p(m, 2))-\(p(dd, 2))T\(p(secs / 3600, 2)):\(p(secs / 60 % 60, 2)):\(p(secs % 60, 2)).\(p(millis, 3))Z"
    }

    /// `2026-11-22T18:00:00Z`: whole seconds, byte for byte what Foundation's
    /// `ISO8601DateFormatter()` writes (the time rounded to the millisecond, then the seconds
    /// floored), without making a formatter per date (a fifth of the service's status listing).
    public static func seconds(_ d: Date) -> String {
        let ms = Int((d.timeIntervalSince1970 * 1000 + 0.5).rounded(.down))
        var secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        secs -= days * 86400
        let (y, m, dd) = civil(fromDays: days)
        var b = [UInt8](repeating: 0, count: 20)
        func put(_ v: Int, _ at: Int, _ width: Int) {
            var v = v
            for i in stride(from: at + width - 1, through: at, by: -1) {
                b[i] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(y, 0, 4)
        put(m, 5, 2)
        put(dd, 8, 2)
        put(secs / 3600, 11, 2)
        put(secs / 60 % 60, 14, 2)
        put(secs % 60, 17, 2)
        (b[4], b[7], b[10], b[13], b[16], b[19]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"), 58, 58, UInt8(ascii: "Z"))
        return String(decoding: b, as: UTF8.self)
    }

    /// The date `string` wrote (the epoch for nil or text that is not one).
    public static func date(_ s: String?) -> Date {
        guard let s else { return Date(timeIntervalSince1970: 0) }
        return parse(s) ?? Date(timeIntervalSince1970: 0)
    }

    /// The date `string` wrote (fraction optional), or nil for text that is not one.
    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else {
            return nil
        }
        var frac = 0.0
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                frac += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i == b.count - 1, b[i] == UInt8(ascii: "Z") else { return nil }
        let days = daysFromCivil(y, mo, d)
        return Date(timeIntervalSince1970: Double(days * 86400 + h * 3600 + mi * 60 + sec) + frac)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

/// Drift: what a provider reports of a recorded resource that state does not record. One rule,
/// used by the refresh (`RecordedResource.drifted`, to keep only what drifted) and by the
/// planner (to plan it), so the two can never disagree: an input the provider reports with another revealed value has drifted;
/// an attribute it does not report has not.
public enum Drift {
    /// Whether a reported value (nil: not reported) is drift from the recorded one.
    @inline(__always)
    public static func differs(_ now: Value?, from recorded: Value) -> Bool {
        guard let now else { return false }
        // Equal values first: `revealed` copies a value to compare it.
        return now != recorded && now.revealed != recorded.revealed
    }

    /// The recorded inputs that `now` reports otherwise, sorted.
    public static func inputs(_ recorded: [String: Value], now: ResourceObject) -> [String] {
        recorded.filter { differs(now.attributes[$0.key], from: $0.value) }.map(\.key).sorted()
    }
}

/// Frees a large value on a background task, so the caller's path does not wait while its
/// thousands of documents are released.
func releaseInBackground<T: Sendable>(_ value: consuming T) {
    let held = value
    Task.detached(priority: .background) { withExtendedLifetime(held) {} }
}
