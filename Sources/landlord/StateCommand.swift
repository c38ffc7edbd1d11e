import ArgumentParser
import Foundation
import LandlordCore
import LandlordS3State
import ProviderAPI

/// `landlord state list|show|migrate|rekey`: read recorded state, move it to another backend, re-seal it.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Inspect recorded state, move it to S3, or re-seal it with a new key.",
        subcommands: [List.self, ShowResource.self, Migrate.self, Rekey.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every recorded resource address, one a line.")
        @ParentCommand var root: Landlord
        @Option(name: .customLong("tenant"), help: "Only this tenant (repeat for several).")
        var tenants: [String] = []

        func run() async throws {
            let ctx = try await Context.load(root.global)
            let states = try await ctx.loadStates().tenants
            var out = ""
            for id in states.keys.sorted() where tenants.isEmpty || tenants.contains(id) {
                for name in states[id]!.resources.keys.sorted() { out += "\(id)/\(name)\n" }
            }
            ctx.output.print(out)
        }
    }

    struct ShowResource: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print one recorded resource (sensitive values redacted).")
        @ParentCommand var root: Landlord
        @Argument(help: "The address, TENANT/NAME.")
        var address: String

        func run() async throws {
            let ctx = try await Context.load(root.global)
            let parts = address.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                ctx.output.error("'\(address)' is not an address: write TENANT/NAME (see `landlord state list`)")
                throw ExitCode(1)
            }
            let st: TenantState?
            do { st = try await ctx.store.loadTenant(parts[0]) } catch {
                ctx.output.error("\(error)")
                throw ExitCode(1)
            }
            guard let r = st?.resources[parts[1]] else {
                ctx.output.error("no resource \(address) in state; `landlord state list` shows what is recorded")
                throw ExitCode(1)
            }
            var out = "# \(address)\nresource \"\(r.type)\" \"\(address)\" {\n    id = \(DisplayValue.text(.string(r.id)))\n"
            let attrs = r.attributes
            let w = attrs.keys.map(\.count).max() ?? 0
            for k in attrs.keys.sorted() { out += "    \(k.padding(toLength: w, withPad: " ", startingAt: 0)) = \(DisplayValue.text(attrs[k]!))\n" }
            if !r.dependencies.isEmpty { out += "    # depends on: \(r.dependencies.joined(separator: ", "))\n" }
            out += "}\n"
            ctx.output.print(out)
        }
    }
}
