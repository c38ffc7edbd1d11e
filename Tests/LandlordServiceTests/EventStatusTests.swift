import Foundation
import LandlordCore
import LandlordEvents
import LandlordLifecycle
import Testing

/// The typed event statuses keep the wire format: `data.status` and `type` as they were when
/// they were strings, and the CLI's event keys (which name the status) unchanged.
@Suite struct EventStatusTests {
    /// Every status that had an event, with the `type` it was announced as.
    static let wire: [String: String] = [
        "pending_approval": "landlord.tenant.pending_approval", "active": "landlord.tenant.provisioned",
        "rejected": "landlord.tenant.rejected", "failed": "landlord.tenant.failed", "timed_out": "landlord.tenant.timed_out",
        "deleted": "landlord.tenant.deleted", "rolled_back": "landlord.tenant.rolled_back", "drifted": "landlord.tenant.drifted",
        "updated": "landlord.tenant.updated", "update_failed": "landlord.tenant.update_failed",
        "suspended": "landlord.tenant.suspended", "resumed": "landlord.tenant.resumed",
        "update_pending": "landlord.tenant.update_pending", "update_rejected": "landlord.tenant.update_rejected",
    ]

    @Test func eachStatusKeepsItsWireStringAndType() throws {
        #expect(Set(EventStatus.allCases.map(\.rawValue)) == Set(Self.wire.keys))
        for s in EventStatus.allCases {
            #expect(s.type == Self.wire[s.rawValue], "\(s)")
            let e = CloudEvent.make(platform: "p", tenant: "t", blueprint: "b", status: s, reason: nil, outputs: [:], at: Date())
            #expect(e.mapValue?["type"]?.stringValue == Self.wire[s.rawValue])
            #expect(e.mapValue?["data"]?.mapValue?["status"]?.stringValue == s.rawValue)
        }
        #expect(EventStatus(rawValue: "provisioning") == nil)
    }

    @Test func theEventKeyHashesTheWireString() {
        let key = EventIntents.key(run: "r", tenant: "t", status: .rolledBack)
        #expect(key == String(Digest.sha256Hex("r\nt\nrolled_back").prefix(32)))
    }

    @Test func lifecycleAndEngineStatusesMapToTheirEvents() {
        for s in LifecycleStatus.allCases {
            // A lifecycle status has an event exactly when its name is one (as before the enum).
            #expect(s.event?.rawValue == (Self.wire[s.rawValue] == nil ? nil : s.rawValue), "\(s)")
        }
        #expect(EventStatus(recorded: .active) == .active)
        #expect(EventStatus(recorded: .rolledBack) == .rolledBack)
        #expect(EventStatus(recorded: .destroyed) == .deleted)
        #expect(EventStatus(recorded: .destroyed, hadState: false) == nil)
        #expect(EventStatus(recorded: .provisioning) == nil)
    }
}
