import ArgumentParser
import LandlordCore

/// `landlord graph`: the dependency graph of a tenant or a blueprint, as Graphviz DOT.
struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the dependency graph of a tenant or a blueprint as Graphviz DOT.",
        discussion: """
            An edge goes from a resource to each one it depends on (references and dependsOn). With --plan FILE \
            (a plan saved with `landlord plan --out FILE`), nodes are coloured by the plan's actions: green \
            create, amber update, purple replace, red delete, grey unchanged.

            Draw it with Graphviz: landlord graph --tenant acme --plan tenants.plan | dot -Tsvg > acme.svg
            """)

    @ParentCommand var root: Landlord

    @Option(name: .customLong("tenant"), help: "The graph of this tenant's resources (its `when:` conditions decided).")
    var tenant: String?

    @Option(name: .customLong("blueprint"), help: "The graph of this blueprint (default: the only one).")
    var blueprint: String?

    @Option(name: .customLong("plan"), help: "Colour the nodes by the actions of this saved plan.")
    var planFile: String?

    func validate() throws {
        if tenant != nil && blueprint != nil { throw ValidationError("give --tenant ID or --blueprint NAME, not both") }
    }

    func run() async throws {
        let ctx = try await Context.load(root.global, keys: false)
        let fleet = ctx.fleet
        let plan = try planFile.map { try SavedPlan.read($0, root.global, ctx.output) }
        if let id = tenant {
            guard let spec = fleet.tenant(id), let bp = fleet.blueprints[spec.blueprint] else {
                ctx.output.error(
                    """
                    unknown tenant '\(id)'\(Suggest.didYouMean(id, in: fleet.tenants.map(\.id))): name one of \
                    tenants/*.yaml, or use --blueprint NAME
                    """
                )
                throw ExitCode(1)
            }
            let plans = plan?.tenants.filter { $0.tenant == id } ?? []
            ctx.output.print(DOTRenderer().render(blueprint: bp, tenant: spec, platform: fleet.platform, plans: plans))
            return
        }
        let names = fleet.blueprints.keys.sorted()
        guard let name = blueprint ?? (names.count == 1 ? names.first : nil) else {
            ctx.output.error(
                """
                this fleet has \(names.count) blueprints (\(names.joined(separator: ", "))): name one with \
                --blueprint NAME, or a tenant with --tenant ID
                """
            )
            throw ExitCode(1)
        }
        guard let bp = fleet.blueprints[name] else {
            ctx.output.error("unknown blueprint '\(name)'\(Suggest.didYouMean(name, in: names)): blueprints are \(names.joined(separator: ", "))")
            throw ExitCode(1)
        }
        let plans = plan?.tenants.filter { $0.blueprint == name } ?? []
        ctx.output.print(DOTRenderer().render(blueprint: bp, platform: fleet.platform, plans: plans))
    }
}
