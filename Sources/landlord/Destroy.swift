import ArgumentParser
import Foundation
import LandlordCore

/// `landlord destroy --tenant ID`: delete every resource of tenants, leaving their files.
struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete every resource of the named tenants, in reverse dependency order.",
        discussion: "The tenant files stay; the tenants are recorded as destroyed and left alone by later plans until named with --tenant again.")

    @ParentCommand var root: Landlord

    /// `--tenant` names the tenants to destroy; the other planning options as for plan.
    @OptionGroup var planning: PlanningOptions

    @OptionGroup var applying: ApplyingOptions

    func validate() throws {
        if planning.tenants.isEmpty { throw ValidationError("name the tenant to destroy with --tenant ID") }
    }

    func run() async throws {
        let ctx = try await Context.load(root.global, mock: planning.mock, unchanged: "nothing was destroyed", writes: true)
        let plan = try await Planning.makePlan(
            ctx, tenants: [], refresh: planning.refresh, listing: planning.refreshMode != .full,
            allowProtectedDeletes: planning.allowProtectedDeletes, destroy: Set(planning.tenants), shard: planning.shard)
        try await Applying.confirmAndApply(ctx, consume plan, applying, operation: .destroy, brief: planning.brief(root.global))
    }
}
