import ArgumentParser
import Foundation
import LandlordCore
import LandlordLifecycle
import ProviderAPI

/// The `landlord tenant` verbs of a provisioned tenant's later life: update, suspend, resume.

/// `landlord tenant update ID --set NAME=VALUE ... [--json]`: what `PATCH /v1/tenants/ID` does.
struct TenantUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change a tenant's parameters (validated like a create), rewrite its file, then apply the change.",
        discussion: """
            What PATCH /v1/tenants/ID does, in this process: the --set parameters are merged into the \
            tenant's (a parameter not named keeps its value), checked against the blueprint (an error names \
            the parameter and nothing is written), then tenants/ID.yaml is rewritten (atomically) and the \
            tenant is updating until the apply, with apply's progress, makes it active (or failed, exit 1). \
            Only an active or failed tenant created through `landlord tenant create` or the API can be \
            updated. A tenant file edited since it was last written (a commit in git) is never overwritten: \
            the command refuses and says so.

            Events: landlord.tenant.updated, or landlord.tenant.update_failed.
            """)
    @ParentCommand var parent: TenantCommand
    @Argument(help: "The tenant's id.") var id: String
    @Option(name: .customLong("set"), help: "A parameter to change, NAME=VALUE (read as the type the blueprint declares); repeat for more.")
    var sets: [String] = []
    @Flag(help: "Print the tenant as JSON (as GET /v1/tenants/ID).") var json = false
    @OptionGroup var events: TenantEventOptions

    func validate() throws {
        guard !sets.isEmpty else { throw ValidationError("give at least one --set NAME=VALUE") }
    }

    func run() async throws {
        try await TenantRun.run(parent.root.global, json: json, eventWait: events.eventWait) { service in
            let blueprint = await service.record(id)?.blueprint ?? ""
            var parameters: [String: Value] = [:]
            for p in sets {
                guard let eq = p.firstIndex(of: "=") else {
                    return .failure(LifecycleError(.invalidRequest, code: "invalid_parameter", message: "--set takes NAME=VALUE; got '\(p)'"))
                }
                parameters[String(p[..<eq])] = await service.typedParameter(
                    blueprint: blueprint, name: String(p[..<eq]), text: String(p[p.index(after: eq)...]))
            }
            return await service.update(id, parameters: parameters)
        }
    }
}

/// `landlord tenant suspend ID`: what `POST /v1/tenants/ID/suspend` does.
struct TenantSuspend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Suspend an active tenant: its file says `suspended: true`, then the blueprint's suspension is applied.",
        discussion: """
            What POST /v1/tenants/ID/suspend does, in this process: `suspended: true` is added to \
            tenants/ID.yaml (atomically) and the tenant is applied with `${tenant.suspended}` true and its \
            resources' `suspended:` properties (typically: listener rules left out by `when:`, services at \
            desiredCount 0); it ends suspended (or failed, exit 1). A plan that would delete or replace a \
            data-bearing resource of a suspended tenant is refused and names the resource. Event: \
            landlord.tenant.suspended.
            """)
    @ParentCommand var parent: TenantCommand
    @OptionGroup var change: TenantStateChange
    func run() async throws { try await change.run(parent.root.global) { await $0.suspend($1) } }
}

/// `landlord tenant resume ID`: what `POST /v1/tenants/ID/resume` does.
struct TenantResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a suspended tenant: `suspended: true` leaves its file, then it is applied as before.",
        discussion: """
            What POST /v1/tenants/ID/resume does, in this process: the `suspended: true` line is removed from \
            tenants/ID.yaml (atomically) and the tenant is applied; it ends active (or failed, exit 1). Event: \
            landlord.tenant.resumed.
            """)
    @ParentCommand var parent: TenantCommand
    @OptionGroup var change: TenantStateChange
    func run() async throws { try await change.run(parent.root.global) { await $0.resume($1) } }
}

/// What `landlord tenant suspend` and `resume` share: the tenant's id, `--json` and
/// `--event-wait`, and one request about that tenant run as every `landlord tenant` verb runs it.
struct TenantStateChange: ParsableArguments {
    @Argument(help: "The tenant's id.") var id: String
    @Flag(help: "Print the tenant as JSON.") var json = false
    @OptionGroup var events: TenantEventOptions

    /// Runs `request` (given the service and the tenant's id) through ``TenantRun``.
    func run(_ global: GlobalOptions, _ request: (TenantService, String) async -> LifecycleResult) async throws {
        try await TenantRun.run(global, json: json, eventWait: events.eventWait) { await request($0, id) }
    }
}
