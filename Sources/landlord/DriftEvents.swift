import ArgumentParser
import Foundation
import LandlordCore
import LandlordEvents
import ProviderAPI

/// `landlord plan --refresh --emit-drift-events`: scheduled drift detection from a scheduler
/// that exists already (a Kubernetes CronJob per shard, a GitHub Actions matrix; examples/drift).
/// Each tenant whose refresh found drift gets one `landlord.tenant.drifted` CloudEvent, written
/// to the platform's durable outbox and delivered as the lifecycle events are (webhooks,
/// EventBridge), with `data.drift`: [{address, type, action, attributes, reasons}].
enum DriftEvents {
    /// Seconds the run waits for the events to be delivered; what is left stays in the outbox
    /// for the next run (or `landlord serve`).
    static let deliveryWait = 10.0

    /// Records and delivers the events of `plan`'s drift; exits 1 when platform.yaml names no
    /// sink or the outbox cannot be written (the plan itself was printed already).
    static func emit(_ ctx: Context, _ plan: Plan) async throws {
        let found = TenantDrift.found(in: plan)
        let sinks = ctx.fleet.platform.events
        guard !sinks.webhooks.isEmpty || sinks.eventBridgeBus != nil else {
            ctx.output.error(
                "--emit-drift-events: \(ctx.fleet.platform.file) names no `events:` sink; "
                    + "add `events: {webhooks: [...]}` or `{eventbridge: {bus: ...}}`")
            throw ExitCode(1)
        }
        let outbox: EventOutbox
        do { outbox = try EventOutbox(root: ctx.root, platform: ctx.fleet.platform, environment: ProcessInfo.processInfo.environment) } catch {
            ctx.output.error("--emit-drift-events: \(ctx.fleet.platform.file) events: \(error)")
            throw ExitCode(1)
        }
        let now = Date()
        for d in found {
            guard let e = d.event(outbox, at: now) else { continue }
            do { try outbox.enqueue(e) } catch {
                ctx.output.error("could not record the drift event of tenant '\(d.tenant.tenant)' in .landlord/service/outbox: \(error)")
                throw ExitCode(1)
            }
        }
        let n = found.count
        ctx.output.printErr("Drift: \(n) tenant\(n == 1 ? "" : "s") drifted; \(n) landlord.tenant.drifted event\(n == 1 ? "" : "s") recorded.")
        guard outbox.backlog > 0 else { return }
        let output = ctx.output
        let left = await outbox.deliverPending(until: Date().addingTimeInterval(deliveryWait)) { output.warning($0) }
        for (sink, k) in left.sorted(by: { $0.key < $1.key }) {
            output.warning(
                "\(k) event\(k == 1 ? "" : "s") not yet delivered to \(sink); "
                    + "they stay in .landlord/service/outbox for the next run or `landlord serve`")
        }
    }
}
