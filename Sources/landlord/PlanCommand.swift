import ArgumentParser
import Foundation
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

    @Option(help: "Output format: text or json.")
    var format: PlanFormat = .text

    func run() async throws {
        let ctx = try Context.load(root.global, mock: planning.mock)
        let plan = try await Planning.makePlan(ctx, planning)
        switch format {
        case .text: ctx.output.print(TextRenderer(palette: ctx.output.palette).render(plan))
        case .json: ctx.output.print(JSONRenderer().render(plan))
        }
        if detailedExitcode && !plan.isEmpty { throw ExitCode(2) }
    }
}

/// How a plan is printed.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
