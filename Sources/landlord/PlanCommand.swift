import ArgumentParser
import Foundation
import LandlordBasics
import LandlordCore

/// `landlord plan`: show what apply would change.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would create, update, replace and delete.",
        discussion: "Reads the specs and the recorded state and prints the changes. Nothing is changed.")

    @ParentCommand var root: Landlord
    @OptionGroup var planning: PlanningOptions

    @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when there are no changes, 2 when there are, 1 on error.")
    var detailedExitcode = false

    @Option(help: "Output format: text, json, markdown or terraform-json (Terraform's JSON plan format, for Checkov, OPA and the like).")
    var format: PlanFormat = .text

    @Option(
        name: .customLong("out"),
        help: "Save the plan to this file (a relative path is taken from -C); `landlord apply FILE` then applies exactly it.")
    var out: String?

    @Flag(
        name: .customLong("emit-drift-events"),
        help: "Send a landlord.tenant.drifted event (platform.yaml's `events:` sinks) for each tenant whose refresh found drift.")
    var emitDriftEvents = false

    func validate() throws {
        if emitDriftEvents && !planning.refresh { throw ValidationError("--emit-drift-events needs a refreshing plan; drop --refresh=false") }
    }

    func run() async throws {
        let ctx = try await Context.load(root.global, mock: planning.mock, unchanged: "nothing was planned")
        let plan = try await Planning.makePlan(ctx, planning, cache: true)
        if format == .text {
            // A tenant at a time: the text of a large plan is never held whole.
            TextRenderer(palette: ctx.output.palette, brief: planning.brief(root.global)).render(plan) { ctx.output.print($0) }
        } else if format == .terraformJSON {
            ReviewShapes.terraformJSON.render(plan) { ctx.output.print($0) }
        } else {
            ctx.output.print(format.render(plan, ctx.output.palette))
        }
        if let out {
            let path = root.global.resolve(out)
            do { try AtomicFile.write(PlanFile.encode(plan), to: path, durable: true) } catch {
                ctx.output.error("could not save the plan to \(path): \(error)")
                throw ExitCode(1)
            }
            let file = Invocation.shellQuoted(out)
            let cmd = root.global.command
            ctx.output.printErr("Saved the plan to \(path). Review it with `\(cmd) show \(file)`; apply exactly it with `\(cmd) apply \(file)`.")
        }
        if emitDriftEvents { try await DriftEvents.emit(ctx, plan) }
        if detailedExitcode && !plan.isEmpty { throw ExitCode(2) }
    }
}

/// How a plan is printed.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
    case terraformJSON = "terraform-json"

    func render(_ plan: Plan, _ palette: Palette) -> String {
        switch self {
        case .text: return TextRenderer(palette: palette).render(plan)
        case .json: return JSONRenderer().render(plan)
        case .markdown: return MarkdownRenderer().render(plan)
        case .terraformJSON: return ReviewShapes.terraformJSON.render(plan)
        }
    }
}
