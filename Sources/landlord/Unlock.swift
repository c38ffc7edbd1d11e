import ArgumentParser
import Foundation
import LandlordCore

/// `landlord unlock --tenant ID [--force]`: release a tenant lock left by a dead run.
struct Unlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release a tenant's lock.",
        discussion: "Refuses while the holder's lease is live unless --force; make sure that run is really gone first.")

    @ParentCommand var root: Landlord

    @Option(name: .customLong("tenant"), help: "The tenant whose lock to release.")
    var tenant: String

    @Flag(help: "Release the lock even though its lease has not expired.")
    var force = false

    func run() async throws {
        let ctx = try await Context.load(root.global, unchanged: "nothing was unlocked")
        guard let info = try await ctx.store.lockInfo(tenant: tenant) else {
            ctx.output.print("Tenant '\(tenant)' is not locked.\n")
            return
        }
        if info.expiresAt > Date() && !force {
            ctx.output.error(
                "tenant '\(tenant)' is locked by \(info.holder.summary) and its lease is live; if that run is dead, run again with --force")
            throw ExitCode(1)
        }
        try await ctx.store.breakLock(tenant: tenant)
        ctx.output.print("Released the lock of tenant '\(tenant)' (held by \(info.holder.summary)).\n")
    }
}
