import ArgumentParser
import Foundation
import LandlordBasics
import LandlordCore

/// `landlord show PLANFILE`: render a saved plan.
struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a saved plan as text, JSON, markdown (for a pull-request comment) or Terraform's JSON plan format.",
        discussion:
            """
            Checks the file (format, version, checksum) as apply does; changes nothing. JSON output tells a \
            no-op plan apart: its summary counts are all zero.
            """
    )

    @ParentCommand var root: Landlord

    @Argument(help: "A plan saved with `landlord plan --out FILE` (a relative path is taken from -C).")
    var planFile: String

    @Option(help: "Output format: text, json, markdown or terraform-json (Terraform's JSON plan format, for Checkov, OPA and the like).")
    var format: PlanFormat = .text

    func run() async throws {
        let output = Output(root.global)
        let plan = try SavedPlan.read(planFile, root.global, output)
        if plan.tenants.contains(where: { !$0.adoptions.isEmpty }), let adoption = AdoptFormat(rawValue: format.rawValue) {
            output.print(adoption.render(plan, output.palette))  // an adoption plan (`landlord adopt --out`)
        } else if format == .terraformJSON {
            // A tenant at a time, as `plan` writes it.
            ReviewShapes.terraformJSON.render(plan) { output.print($0) }
        } else {
            output.print(format.render(plan, output.palette))
        }
    }
}

/// Reading plan files, with messages that say what to do.
enum SavedPlan {
    /// The plan in `file` (relative paths taken from -C, as `plan --out` wrote it).
    static func read(_ file: String, _ global: GlobalOptions, _ output: Output) throws -> Plan {
        let path = global.resolve(file)
        guard let bytes = AtomicFile.read(path) else {
            output.error("cannot read plan file \(path): create one with `\(planAgain(file, global))`")
            throw ExitCode(1)
        }
        do { return try PlanFile.decode(bytes) } catch {
            output.error("\(path): \(error.description); nothing was changed. Plan again with `\(planAgain(file, global))`")
            throw ExitCode(1)
        }
    }

    /// `landlord [-C DIR] plan --out FILE`: the command that writes `file` again, from the
    /// same directory with the same -C.
    static func planAgain(_ file: String, _ global: GlobalOptions) -> String {
        "\(global.command) plan --out \(Invocation.shellQuoted(file))"
    }
}
