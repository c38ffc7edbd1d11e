import ArgumentParser
import LandlordCore

/// `landlord`: plan, apply and destroy tenants from YAML specs.
@main
struct Landlord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landlord",
        abstract: "Declarative tenant provisioning: plan, review, apply and destroy tenants.",
        discussion: """
            A fleet directory holds platform.yaml (shared inputs), blueprints/*.yaml (what a tenant is made of) \
            and tenants/*.yaml (one file per tenant). `plan` shows what would change, `apply` carries it out, \
            `destroy` removes a tenant. State lives in .landlord/ beside platform.yaml.

            Start here: landlord init /tmp/quickstart && landlord -C /tmp/quickstart plan

            Exit codes: 0 success (plan --detailed-exitcode: no changes), 1 error, 2 changes present (plan --detailed-exitcode).
            """,
        version: "landlord \(LandlordVersion.current) (commit \(BuildInfo.commit))",
        subcommands: [
            Init.self, Validate.self, PlanCommand.self, Apply.self, Destroy.self, Show.self, Status.self, OutputCommand.self, StateCommand.self,
            Unlock.self,
            SchemaCommand.self, ProvidersCommand.self, ProviderCommand.self, Serve.self, TenantCommand.self, RolloutCommand.self,
            GraphCommand.self, Adopt.self,
        ]
    )

    @OptionGroup var global: GlobalOptions
}

/// Options every verb takes, given before the verb: `landlord -C DIR plan`.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .customLong("chdir")], help: "The fleet directory (holding platform.yaml).")
    var chdir: String = "."

    @Flag(name: .customLong("no-color"), help: "Plain output (also NO_COLOR, and whenever output is not a terminal).")
    var noColor = false

    @Flag(
        name: .customLong("verbose"),
        help: "Show what provider plugins write to stderr, as they write it, and the API calls of each plan's refresh by operation.")
    var verbose = false
}
