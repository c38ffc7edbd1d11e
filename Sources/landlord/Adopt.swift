import ArgumentParser
import Foundation
import LandlordBasics
import LandlordCore

/// `landlord adopt`: a reviewable plan that takes over tenants' resources made outside Landlord.
struct Adopt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Plan the adoption of tenants' existing resources made outside Landlord.",
        discussion: ArgumentHelp(
            "Finds each resource of the tenant files that is neither in state nor tagged for Landlord by its natural key "
                + "(a pool's name, a record's zone, name and type, an item's table and key). Prints what would be taken over, "
                + "the key it was found by, and the changes that make it match the spec. Save it with --out and apply it with "
                + "`landlord apply FILE`. A tenant with a missing, ambiguous or foreign resource is left out with a diagnostic. "
                + "Exit codes: 0 nothing to adopt, 2 adoptions planned, 1 an error or a tenant left out."
        ).abstract)

    @ParentCommand var root: Landlord

    @Option(name: .customLong("tenant"), help: "Only this tenant (repeat for several).")
    var tenants: [String] = []

    @Option(
        name: .customLong("from-terraform"),
        help: "Find the resources in this Terraform state (a state file, format 4, or `terraform show -json` output) by address.")
    var fromTerraform: String?

    @Option(
        name: .customLong("terraform-address"),
        help: ArgumentHelp(
            "The module address of one tenant in the Terraform state, {id} standing for the tenant id (default: "
                + "module.tenant[\"{id}\"]).", valueName: "PATTERN"))
    var terraformAddress: String?

    @Option(help: "Output format: text, json or markdown.")
    var format: AdoptFormat = .text

    @Option(name: .customLong("out"), help: "Save the adoption plan to this file; `landlord apply FILE` then applies exactly it.")
    var out: String?

    @Flag(help: "Use the simulated cloud (mock provider) whatever platform.yaml says.")
    var mock = false

    @Flag(
        name: .customLong("allow-protected-deletes"),
        help: "Let the changes after adoption replace data-bearing or `protect: true` resources.")
    var allowProtectedDeletes = false

    func validate() throws {
        if terraformAddress != nil && fromTerraform == nil { throw ValidationError("--terraform-address needs --from-terraform FILE") }
        if let p = terraformAddress, !p.contains("{id}") {
            throw ValidationError("--terraform-address must hold {id} where the tenant id goes, e.g. 'module.customer_{id}'")
        }
    }

    func run() async throws {
        let ctx = try await Context.load(root.global, mock: mock, unchanged: "nothing was planned")
        var options = AdoptOptions(tenants: tenants.isEmpty ? nil : Set(tenants))
        options.allowProtectedDeletes = allowProtectedDeletes
        if let fromTerraform {
            guard let bytes = AtomicFile.read(fromTerraform) else {
                ctx.output.error("--from-terraform: cannot read \(fromTerraform); nothing was planned")
                throw ExitCode(1)
            }
            do {
                let resources = try TerraformState.read(bytes)
                options.terraform = TerraformStateSource(
                    resources: resources, pattern: terraformAddress ?? TerraformStateSource.defaultPattern, shapes: ReviewShapes.builtIn)
            } catch {
                ctx.output.error("--from-terraform: \(fromTerraform): \(error.description); nothing was planned")
                throw ExitCode(1)
            }
        }
        let outcome = await ctx.workspace.adopt(options)
        ctx.output.diagnostics(outcome.diagnostics)
        guard let plan = outcome.plan else {
            ctx.output.error("no adoption plan: fix the errors above; nothing was changed")
            throw ExitCode(1)
        }
        let r = outcome.report
        let how = fromTerraform == nil ? "Looked up" : "Read"
        ctx.output.printErr(
            "\(how) \(r.lookups) resource\(r.lookups == 1 ? "" : "s") with \(r.calls) provider call\(r.calls == 1 ? "" : "s") "
                + "in \(r.rounds) round\(r.rounds == 1 ? "" : "s") (\(String(format: "%.2f", r.seconds)) s)")
        ctx.output.print(format.render(plan, ctx.output.palette))
        if let out, !plan.tenants.isEmpty {
            do { try AtomicFile.write(PlanFile.encode(plan), to: out, durable: true) } catch {
                ctx.output.error("could not save the adoption plan to \(out): \(error)")
                throw ExitCode(1)
            }
            ctx.output.printErr("Saved the adoption plan to \(out). Apply exactly it with `landlord apply \(out)`.")
        }
        ctx.finish()
        if r.unresolvedTenants > 0 || outcome.diagnostics.hasErrors {
            ctx.output.error(
                "\(r.unresolvedTenants) tenant\(r.unresolvedTenants == 1 ? " was" : "s were") left out of the adoption plan: "
                    + "resolve the resources named above and run adopt again")
            throw ExitCode(1)
        }
        if !plan.tenants.isEmpty { throw ExitCode(2) }
    }
}

/// How an adoption plan is printed.
enum AdoptFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown

    func render(_ plan: Plan, _ palette: Palette) -> String {
        let renderer = AdoptionRenderer(palette: palette)
        switch self {
        case .text: return renderer.text(plan)
        case .json: return renderer.json(plan)
        case .markdown: return renderer.markdown(plan)
        }
    }
}
