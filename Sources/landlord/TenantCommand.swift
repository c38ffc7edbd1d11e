import ArgumentParser
import Foundation
import LandlordCore
import LandlordEvents
import LandlordLifecycle
import ProviderAPI

/// `landlord tenant create|approve|reject|delete|show|list`: the lifecycle service's requests,
/// run in this process without the service. They read and write the same records
/// (`.landlord/service/tenants/ID.json`) and apply through the same engine, locks and events;
/// while a `landlord serve` holds the fleet's service lock they refuse (use its API instead).
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create, approve, reject, delete, update, suspend, resume, show or list tenants as `landlord serve` does, without the service.",
        subcommands: [
            TenantCreate.self, TenantApprove.self, TenantReject.self, TenantDelete.self, TenantUpdate.self, TenantSuspend.self, TenantResume.self,
            TenantShow.self, TenantList.self,
        ])

    @ParentCommand var root: Landlord
}

/// What every `landlord tenant` verb does: load the fleet as the service does, take the service
/// lock, run one request, then the work it queued, then deliver its events.
enum TenantRun {
    /// `eventWait`: seconds to wait at the end for the events of this run (and any left by an
    /// earlier one) to be delivered; what is left stays in the outbox.
    static func run(_ global: GlobalOptions, json: Bool, eventWait: Double = 10, _ request: (TenantService) async -> LifecycleResult) async throws {
        let output = Output(global)
        let runtime = try await load(global, output)
        let lock: ServiceLock
        switch try acquire(runtime.root, output) {
        case .success(let l): lock = l
        case .failure(let held):
            output.error(
                """
                \(held.description.isEmpty ? "a `landlord serve`" : held.description) holds this fleet's service \
                lock (\(ServiceLock.path(root: runtime.root))); send the request to its API (docs/service.md) \
                or run this command when it has stopped
                """
            )
            throw ExitCode(1)
        }
        defer { lock.unlock() }
        let service = try serve(runtime, output, json: json)
        await service.settle()
        let answer: Value
        switch await request(service) {
        case .failure(let e):
            report(e, output)
            throw ExitCode(1)
        case .success(let body): answer = body
        }
        await service.settle()
        var finalAnswer = answer
        if case .map(let m) = answer, case .string(let id)? = m["id"], m["tenants"] == nil {
            switch await service.get(id) {
            case .success(let body): finalAnswer = body
            case .failure(let e): finalAnswer = e.body.envelope
            }
        }
        await deliver(service, output, eventWait: eventWait)
        if json {
            output.print(JSON.string(finalAnswer, sortedKeys: true, pretty: true) + "\n")
        } else {
            summary(finalAnswer, output)
        }
        if case .map(let m) = finalAnswer, m["status"]?.stringValue == "failed" { throw ExitCode(1) }
    }

    /// The fleet as the service loads it; diagnostics and exit 1 when it cannot be. Its plugins
    /// are shut down with the command's others when it ends.
    static func load(_ global: GlobalOptions, _ output: Output) async throws -> ServiceRuntime {
        let root = URL(fileURLWithPath: global.chdir).standardizedFileURL
        let env = ProcessInfo.processInfo.environment
        let runtime: ServiceRuntime
        do { runtime = try await ServiceRuntime.load(root: root, environment: env, pluginEcho: PluginHost.echo(verbose: global.verbose)) } catch {
            for d in error.diagnostics.sorted { output.diagnostic(d) }
            output.error(error.message.replacingOccurrences(of: "start the service again", with: "run the command again"))
            throw ExitCode(1)
        }
        for p in runtime.plugins { PluginHost.adopt(p) }
        return runtime
    }

    /// The fleet's service lock, or who holds it; exit 1 when it cannot be tried.
    static func acquire(_ root: URL, _ output: Output) throws -> Result<ServiceLock, ServiceLock.HeldBy> {
        do { return try ServiceLock.acquire(root: root, holder: "landlord tenant") } catch {
            output.error("\(error); nothing was changed")
            throw ExitCode(1)
        }
    }

    /// The lifecycle over `runtime` in this process (its applies show apply's progress unless `json`).
    static func serve(_ runtime: ServiceRuntime, _ output: Output, json: Bool) throws -> TenantService {
        do {
            let printer: @Sendable (Plan) -> any ApplyObserver = { plan in ProgressPrinter(output: output, plan: plan) }
            let log: @Sendable (String) -> Void = { output.warning($0) }
            return try TenantService(runtime: runtime, environment: ProcessInfo.processInfo.environment, log: log, observe: json ? nil : printer)
        } catch {
            output.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// Delivers the outbox's events for up to `eventWait` seconds; warns about what is left.
    static func deliver(_ service: TenantService, _ output: Output, eventWait: Double) async {
        guard service.outbox.backlog > 0 else { return }
        let left = await service.outbox.deliverPending(until: Date().addingTimeInterval(eventWait)) { output.warning($0) }
        for (sink, n) in left.sorted(by: { $0.key < $1.key }) {
            output.warning(
                """
                \(n) lifecycle event(s) not yet delivered to \(sink); they stay in .landlord/service/outbox and go \
                out with the next run or from `landlord serve`
                """
            )
        }
    }

    /// An error answer as diagnostics and one `error:` line.
    static func report(_ e: LifecycleError, _ output: Output) {
        for d in e.body.diagnostics {
            var s = ""
            if let f = d.file, let l = d.line, let c = d.column { s += "\(f):\(l):\(c): " }
            s += "error: " + d.message
            if let detail = d.detail { s += "\n  " + detail }
            output.printErr(s)
        }
        output.error(cliWording(e.body.message))
    }

    /// The service's advice in the CLI's terms.
    static func cliWording(_ message: String) -> String {
        message.replacingOccurrences(of: "list them with GET /v1/tenants", with: "list them with `landlord tenant list`")
            .replacingOccurrences(of: "DELETE ...?force=true", with: "`landlord tenant delete ID --force`")
            .replacingOccurrences(of: "send it again", with: "run the command again")
    }

    /// `id: status` and, once active, the outputs (sensitive ones as `(sensitive)`).
    static func summary(_ body: Value, _ output: Output) {
        guard case .map(let m) = body else { return }
        output.print("tenant \(m["id"]?.stringValue ?? ""): \(m["status"]?.stringValue ?? "")\n")
        if case .map(let e)? = m["error"] { output.print("  error: \(cliWording(e["message"]?.stringValue ?? ""))\n") }
        if let d = m["approvalDeadline"]?.stringValue { output.print("  awaiting approval until \(d) (`landlord tenant approve ID`)\n") }
        if case .map(let outs)? = m["outputs"] {
            for k in outs.keys.sorted() {
                let v = outs[k]!
                output.print("  \(k) = \(v.stringValue.map { "\"\($0)\"" } ?? JSON.string(v, sortedKeys: true, pretty: false))\n")
            }
        }
    }
}

/// `landlord tenant create [--id ID] --blueprint B [--param k=v ...] [--json]`.
struct TenantCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a tenant (validated like `landlord validate`), then provision it unless its blueprint needs approval.",
        discussion: """
            What POST /v1/tenants does, in this process: the parameters are checked against the blueprint (an \
            error is reported like `landlord validate` reports it, with did-you-mean, and nothing is written), \
            then the tenant is recorded in .landlord/service/tenants/ID.json and written as tenants/ID.yaml \
            (atomically), and provisioned at once with apply's progress; the command returns when it is active \
            or failed (exit 1).

            A blueprint with `onboarding: {approval: required}` is not provisioned: its file says `approval: \
            pending` (so `landlord plan` lists it and never provisions it) until `landlord tenant approve ID`; \
            not approved within the blueprint's timeout, it becomes timed_out and its file is removed.

            Lifecycle events (platform.yaml `events:`) are delivered for up to --event-wait seconds at the end. \
            Refused while `landlord serve` runs on this fleet (use its API).
            """)
    @ParentCommand var parent: TenantCommand
    @Option(help: "The tenant's id (default: a generated DNS-safe one).") var id: String?
    @Option(help: "The blueprint the tenant is made from.") var blueprint: String
    @Option(name: .customLong("param"), help: "A parameter, NAME=VALUE (read as the type the blueprint declares); repeat for more.")
    var params: [String] = []
    @Flag(help: "Print the tenant as JSON (as GET /v1/tenants/ID).") var json = false
    @OptionGroup var events: TenantEventOptions

    func run() async throws {
        try await TenantRun.run(parent.root.global, json: json, eventWait: events.eventWait) { service in
            var parameters: [String: Value] = [:]
            for p in params {
                guard let eq = p.firstIndex(of: "=") else {
                    return .failure(LifecycleError(.invalidRequest, code: "invalid_parameter", message: "--param takes NAME=VALUE; got '\(p)'"))
                }
                parameters[String(p[..<eq])] = await service.typedParameter(
                    blueprint: blueprint, name: String(p[..<eq]), text: String(p[p.index(after: eq)...]))
            }
            return await service.create(TenantRequest(id: id, blueprint: blueprint, parameters: parameters))
        }
    }
}

/// `landlord tenant approve ID`.
struct TenantApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a tenant awaiting approval, then provision it.",
        discussion: """
            What POST /v1/tenants/ID/approve does: the tenant's file is rewritten without its `approval: \
            pending` line (atomically) and the tenant is provisioned at once with apply's progress; the command \
            returns when it is active or failed (exit 1). A tenant whose file says `approval: pending` but that \
            has no record (written by hand or committed) is approved the same way. Refused (exit 1) unless the \
            tenant awaits approval, or while `landlord serve` runs on this fleet.
            """)
    @ParentCommand var parent: TenantCommand
    @Argument(help: "The tenant's id.") var id: String
    @Flag(help: "Print the tenant as JSON.") var json = false
    @OptionGroup var events: TenantEventOptions
    func run() async throws { try await TenantRun.run(parent.root.global, json: json, eventWait: events.eventWait) { await $0.approve(id) } }
}

/// `landlord tenant reject ID [--reason TEXT]`.
struct TenantReject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a tenant awaiting approval; nothing is provisioned.",
        discussion: """
            What POST /v1/tenants/ID/reject does: the record becomes rejected, with the reason when one is \
            given (kept in its history and in the landlord.tenant.rejected event), and the tenant's `approval: \
            pending` file is removed. Refused unless the tenant awaits approval.
            """)
    @ParentCommand var parent: TenantCommand
    @Argument(help: "The tenant's id.") var id: String
    @Option(help: "Why (kept in the history and the event; optional, as in the API).") var reason: String?
    @Flag(help: "Print the tenant as JSON.") var json = false
    @OptionGroup var events: TenantEventOptions
    func run() async throws {
        try await TenantRun.run(parent.root.global, json: json, eventWait: events.eventWait) { await $0.reject(id, reason: reason) }
    }
}

/// `landlord tenant delete ID [--force]`.
struct TenantDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Destroy a tenant like `landlord destroy`, remove its file, and mark it deleted.",
        discussion: """
            What DELETE /v1/tenants/ID does: every resource of the tenant is destroyed in reverse dependency \
            order with apply's progress, then its tenants/ID.yaml is removed and its record becomes deleted; \
            the command returns when that is done (exit 1 if the destroy failed). A tenant that was never \
            provisioned (awaiting approval, rejected, timed out) is only marked deleted. Resources marked \
            `protect: true` stop the destroy unless --force.
            """)
    @ParentCommand var parent: TenantCommand
    @Argument(help: "The tenant's id.") var id: String
    @Flag(help: "Also delete `protect: true` resources.") var force = false
    @Flag(help: "Print the tenant as JSON.") var json = false
    @OptionGroup var events: TenantEventOptions
    func run() async throws {
        try await TenantRun.run(parent.root.global, json: json, eventWait: events.eventWait) { await $0.delete(id, force: force) }
    }
}

/// `--event-wait S` of the `landlord tenant` verbs that change a tenant.
struct TenantEventOptions: ParsableArguments {
    @Option(
        name: .customLong("event-wait"),
        help:
            """
            Seconds to wait at the end for lifecycle events (platform.yaml `events:`) to be delivered (default \
            10; 0: none); what is left goes out with the next run or from `landlord serve`.
            """
    )
    var eventWait: Double = 10

    func validate() throws {
        guard eventWait >= 0 else { throw ValidationError("--event-wait cannot be negative") }
    }
}
