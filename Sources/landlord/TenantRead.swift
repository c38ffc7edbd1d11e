import ArgumentParser
import Foundation
import LandlordCore
import LandlordLifecycle
import ProviderAPI

/// `landlord tenant show` and `list`: they only read, so they answer while a `landlord serve`
/// holds the fleet (from the records it keeps). Without a service they first finish the work
/// an earlier run left queued (a timed-out approval, say), as every `landlord tenant` verb does.
enum TenantRead {
    /// Every tenant of the fleet (``TenantListing``), after finishing queued work when no
    /// service holds the fleet.
    static func tenants(_ global: GlobalOptions, _ output: Output) async throws -> [Value] {
        let runtime = try await TenantRun.load(global, output)
        if case .success(let lock) = try TenantRun.acquire(runtime.root, output) {
            defer { lock.unlock() }
            let service = try TenantRun.serve(runtime, output, json: true)
            await service.settle()
            await TenantRun.deliver(service, output, eventWait: 10)
        }
        do { return try await TenantListing.all(runtime) } catch {
            output.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// `ID  STATUS  RESOURCES  BLUEPRINT` with a header, in aligned columns, as `landlord status`.
    static func rows(_ tenants: [Value]) -> String {
        var rows = [["TENANT", "STATUS", "RESOURCES", "BLUEPRINT"]]
        for case .map(let t) in tenants {
            let removed = t["fileRemoved"] == .bool(true) && t["status"]?.stringValue != TenantStatus.destroyed.rawValue
            rows.append([
                t["id"]?.stringValue ?? "", (t["status"]?.stringValue ?? "") + (removed ? " (file removed)" : ""), "\(t["resources"]?.intValue ?? 0)",
                t["blueprint"]?.stringValue ?? "",
            ])
        }
        return table(rows)
    }

    /// A tenant in full: status, blueprint, resources, parameters, outputs, error, approval
    /// deadline and history, as `tenant show` promises.
    static func detail(_ tenant: Value) -> String {
        guard case .map(let m) = tenant else { return "" }
        var out = "tenant \(m["id"]?.stringValue ?? ""): \(m["status"]?.stringValue ?? "")\n"
        out += "  blueprint: \(m["blueprint"]?.stringValue ?? "")\n"
        out += "  resources: \(m["resources"]?.intValue ?? 0)\n"
        if case .map(let e)? = m["error"] { out += "  error: \(TenantRun.cliWording(e["message"]?.stringValue ?? ""))\n" }
        if let d = m["approvalDeadline"]?.stringValue { out += "  awaiting approval until \(d) (`landlord tenant approve ID`)\n" }
        for (title, key) in [("parameters", "parameters"), ("outputs", "outputs")] {
            guard case .map(let values)? = m[key], !values.isEmpty else { continue }
            out += "  \(title):\n"
            let width = values.keys.map(\.count).max() ?? 0
            for k in values.keys.sorted() {
                let v = values[k]!
                let shown = v.stringValue.map { "\"\($0)\"" } ?? JSON.string(v, sortedKeys: true, pretty: false)
                out += "    " + k + String(repeating: " ", count: width - k.count) + " = " + shown + "\n"
            }
        }
        let history = m["history"]?.listValue ?? []
        if history.isEmpty {
            out += "  history: none (not created through `landlord tenant` or the service)\n"
        } else {
            out += "  history:\n"
            for case .map(let h) in history {
                out += "    \(h["at"]?.stringValue ?? "")  \(h["status"]?.stringValue ?? "")"
                out += (h["reason"]?.stringValue).map { " (\($0))" } ?? ""
                out += "\n"
            }
        }
        return out
    }
}

/// `landlord tenant show ID [--json]`.
struct TenantShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a tenant: its status, blueprint, parameters, outputs and history.",
        discussion: """
            What GET /v1/tenants/ID answers: the status, blueprint, parameters (sensitive ones as (sensitive)), \
            outputs, resource count, error, approval deadline and history of the tenant's record. A tenant of \
            the fleet without a record (its file written by hand) is shown as `landlord status` shows it: its \
            state's status, else planned (or pending_approval), with no history. It only reads: while `landlord \
            serve` runs on this fleet it shows the service's records; otherwise it first finishes work an \
            earlier run left queued, like every `landlord tenant` verb.
            """)
    @ParentCommand var parent: TenantCommand
    @Argument(help: "The tenant's id.") var id: String
    @Flag(help: "Print it as JSON (as GET /v1/tenants/ID).") var json = false

    func run() async throws {
        let output = Output(parent.root.global)
        let all = try await TenantRead.tenants(parent.root.global, output)
        guard let tenant = all.first(where: { $0.mapValue?["id"]?.stringValue == id }) else {
            let ids = all.compactMap { $0.mapValue?["id"]?.stringValue }
            output.error("no tenant '\(id)'\(Suggest.didYouMean(id, in: ids)); list them with `landlord tenant list`")
            throw ExitCode(1)
        }
        output.print(json ? JSON.string(tenant, sortedKeys: true, pretty: true) + "\n" : TenantRead.detail(tenant))
    }
}

/// `landlord tenant list [--status S] [--limit N] [--cursor C] [--json]`.
struct TenantList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the fleet's tenants with their status, a page at a time.",
        discussion: """
            What GET /v1/tenants answers, and the fleet's tenants without a record too, so it lists what \
            `landlord status` lists: a header, then one line per tenant by id (`TENANT  STATUS  RESOURCES  \
            BLUEPRINT`, aligned), at most --limit of them (default 50, at most 500), after --cursor. A tenant \
            without a record has its state's status, else planned (pending_approval when its file says \
            `approval: pending`). When more follow, the last line is `next cursor: C`: pass it as --cursor for \
            the next page (with --json, the `nextCursor` field; null on the last page). It only reads: it \
            answers while `landlord serve` runs on this fleet.
            """)
    @ParentCommand var parent: TenantCommand
    @Option(
        help:
            """
            Only tenants with this status (planned, pending_approval, provisioning, active, rejected, failed, \
            timed_out, deprovisioning, deleted, ...).
            """
    )
    var status: String?
    @Option(help: "Most tenants on the page, 1 to 500.") var limit: Int = 50
    @Option(help: "Start after this id: the `next cursor` of the previous page.") var cursor: String?
    @Flag(help: "Print them as JSON (as GET /v1/tenants: {tenants, nextCursor}).") var json = false

    func validate() throws {
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be from 1 to 500; page through more with --cursor") }
        if let status, !TenantListing.statuses.contains(status) {
            throw ValidationError(
                """
                unknown status '\(status)'\(Suggest.didYouMean(status, in: TenantListing.statuses)); use one of \
                \(TenantListing.statuses.joined(separator: ", "))
                """
            )
        }
    }

    func run() async throws {
        let output = Output(parent.root.global)
        let all = try await TenantRead.tenants(parent.root.global, output)
        let wanted = all.filter { t in
            guard let id = t.mapValue?["id"]?.stringValue else { return false }
            return (status.map { t.mapValue?["status"]?.stringValue == $0 } ?? true) && (cursor.map { id > $0 } ?? true)
        }
        let page = Array(wanted.prefix(limit))
        let next = wanted.count > limit ? page.last?.mapValue?["id"]?.stringValue : nil
        if json {
            output.print(
                JSON.string(.map(["tenants": .list(page), "nextCursor": next.map { .string($0) } ?? .null]), sortedKeys: true, pretty: true) + "\n")
            return
        }
        output.print(TenantRead.rows(page))
        if let next { output.print("next cursor: \(next) (more with --cursor \(next))\n") }
    }
}
