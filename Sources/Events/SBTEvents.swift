import Foundation
import ProviderAPI

/// `events: {eventbridge: {bus: B, format: sbt-aws}}`: lifecycle events as the AWS SaaS Builder
/// Toolkit (awslabs/sbt-aws) names them, so an application plane or control plane built on the
/// toolkit's `EventManager` rules is driven by Landlord. Each entry's `DetailType` is the
/// toolkit's (`provisionSuccess`, ...), its `Source` the toolkit's default source of that
/// detail-type (`applicationPlaneEventSource` or `controlPlaneEventSource`, as its
/// `SUPPORTED_EVENTS` table says), and its `Detail` a flat JSON object:
/// `{tenantId, tenantStatus, blueprint, jobOutput (the non-sensitive outputs), reason?, exports?,
/// landlordEventId, landlordEventType}`. Events with no toolkit equivalent go out as CloudEvents.
/// The mapping is documented in docs/events.md.
public enum SBTEvents {
    /// The toolkit's default sources (sbt-aws `EventManager`).
    public static let applicationPlaneSource = "applicationPlaneEventSource"
    public static let controlPlaneSource = "controlPlaneEventSource"

    /// Landlord's CloudEvents type -> the toolkit's detail-type and source.
    public static let mapping: [String: (detailType: String, source: String)] = [
        "landlord.tenant.pending_approval": ("onboardingRequest", controlPlaneSource),
        "landlord.tenant.provisioned": ("provisionSuccess", applicationPlaneSource),
        "landlord.tenant.failed": ("provisionFailure", applicationPlaneSource),
        "landlord.tenant.rolled_back": ("provisionFailure", applicationPlaneSource),
        "landlord.tenant.rejected": ("onboardingFailure", applicationPlaneSource),
        "landlord.tenant.timed_out": ("onboardingFailure", applicationPlaneSource),
        "landlord.tenant.deleted": ("offboardingSuccess", applicationPlaneSource),
        "landlord.tenant.suspended": ("deactivateSuccess", applicationPlaneSource),
        "landlord.tenant.resumed": ("activateSuccess", applicationPlaneSource),
    ]

    /// The PutEvents entry of `event` in the toolkit's shape; nil when its type has no
    /// toolkit equivalent or its body is not a CloudEvent (then it goes out as a CloudEvent).
    static func entry(_ event: PendingEvent, bus: String) -> Value? {
        guard let target = mapping[event.type] else { return nil }
        let (detailType, source) = (target.detailType, target.source)
        guard let cloud = try? JSON.parse(event.body), case .map(let ce) = cloud, case .map(let data)? = ce["data"] else { return nil }
        return .map([
            "Source": .string(source), "DetailType": .string(detailType), "Detail": .string(JSON.string(detail(data, event: event))),
            "EventBusName": .string(bus), "Resources": .list([]), "Time": .double(event.time.timeIntervalSince1970.rounded()),
        ])
    }

    /// The toolkit-shaped detail of a lifecycle event's CloudEvents `data`.
    static func detail(_ data: [String: Value], event: PendingEvent) -> Value {
        var d: [String: Value] = [
            "tenantId": data["tenantId"] ?? .string(event.tenant),
            "tenantStatus": data["status"] ?? .null,
            "blueprint": data["blueprint"] ?? .null,
            "jobOutput": data["outputs"] ?? .map([:]),
            "landlordEventId": .string(event.id), "landlordEventType": .string(event.type),
        ]
        if let r = data["reason"] { d["reason"] = r }
        if let e = data["exports"] { d["exports"] = e }
        return .map(d)
    }
}
