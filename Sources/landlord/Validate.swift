import ArgumentParser
import LandlordCore

/// `landlord validate`: read and check every spec file, change nothing.
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check platform.yaml, blueprints and tenants; report every problem with file:line:col.")

    @ParentCommand var root: Landlord

    func run() async throws {
        let ctx = try await Context.load(root.global, keys: false)
        let f = ctx.fleet
        ctx.output.print(
            """
            Valid: platform '\(f.platform.name)', \(f.blueprints.count) \
            blueprint\(f.blueprints.count == 1 ? "" : "s"), \(f.tenants.count) \
            tenant\(f.tenants.count == 1 ? "" : "s").\n
            """
        )
    }
}
