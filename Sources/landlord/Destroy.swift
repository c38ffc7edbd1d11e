import ArgumentParser
import Foundation
import LandlordCore

/// `landlord destroy --tenant ID`: delete every resource of tenants, leaving their files.
struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete every resource of the named tenants, in reverse dependency order.",
        discussion: "The tenant files stay; the tenants are recorded as destroyed and left alone by later plans until named with --tenant again.")

    @ParentCommand var root: Landlord

    @Option(name: .customLong("tenant"), help: "The tenant to destroy (repeat for several).")
    var tenants: [String] = []

    @Option(name: .customLong("refresh"), help: "Read the resources from the providers first (true/false).")
    var refresh: Bool = true

    @Flag(help: "Use the simulated cloud (mock provider) whatever platform.yaml says.")
    var mock = false

    @Flag(name: .customLong("allow-protected-deletes"), help: "Allow deleting resources marked `protect: true`.")
    var allowProtectedDeletes = false

    @OptionGroup var applying: ApplyingOptions

    func validate() throws {
        if tenants.isEmpty { throw ValidationError("name the tenant to destroy with --tenant ID") }
    }

    func run() async throws {
        let ctx = try Context.load(root.global, mock: mock)
        let plan = try await Planning.makePlan(ctx, tenants: [], refresh: refresh, allowProtectedDeletes: allowProtectedDeletes, destroy: Set(tenants))
        try await Applying.confirmAndApply(ctx, plan, applying, operation: "destroy")
    }
}
