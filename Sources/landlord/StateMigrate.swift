import ArgumentParser
import Foundation
import LandlordCore
import LandlordS3State

extension StateCommand {
    /// `landlord state migrate --to s3`: copy local state into the S3 bucket and verify it.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move local state (.landlord/state) into an S3 bucket and verify it.",
            discussion: """
                Creates every tenant document and the platform document in the bucket with conditional \
                writes, reads each back and compares it. The bucket comes from `state:` in platform.yaml \
                (or --bucket/--prefix/--region). Refuses when the bucket already holds different state \
                unless --force. The local state is left in place.
                """)

        @ParentCommand var root: Landlord

        @Option(help: "The backend to move state to (only s3).")
        var to: String

        @Option(help: "The bucket (default: state.bucket in platform.yaml).")
        var bucket: String?

        @Option(help: "The key prefix (default: state.prefix in platform.yaml).")
        var prefix: String?

        @Option(help: "The bucket's region (default: state.region, then the aws provider's region).")
        var region: String?

        @Flag(help: "Replace state the bucket already holds for these tenants with the local state.")
        var force = false

        func run() async throws {
            let ctx = try await Context.load(root.global, unchanged: "nothing was migrated")
            guard StateBackendKind(rawValue: to) == .s3 else {
                ctx.output.error("cannot migrate state to '\(to)': only `--to s3` is supported")
                throw ExitCode(1)
            }
            var config = ctx.fleet.platform.state
            if config.backend != .s3 { config = StateBackendConfig(backend: .s3, location: config.location) }
            if let bucket { config.bucket = bucket }
            if let prefix { config.prefix = prefix }
            if let region { config.region = region }
            guard config.bucket != nil else {
                ctx.output.error(
                    """
                    say which bucket to migrate to: --bucket NAME [--prefix P], or set `state: {backend: s3, bucket: \
                    NAME, prefix: P}` in platform.yaml first
                    """
                )
                throw ExitCode(1)
            }
            let local = Context.localStore(ctx.root, cipher: ctx.cipher)
            let report: S3MigrationReport
            let target: S3StateStore
            do {
                target = try S3StateStore(
                    config: config, fallbackRegion: ctx.fleet.platform.providerSettings("aws")["region"]?.stringValue,
                    environment: ProcessInfo.processInfo.environment, cipher: ctx.cipher)
                report = try await S3StateMigration.migrate(from: local, to: target, force: force)
            } catch {
                ctx.output.error("\(error)")
                throw ExitCode(1)
            }
            var out = "Migrated state from \(local.location) to \(target.location):\n"
            func line(_ what: String, _ ids: [String]) {
                if !ids.isEmpty { out += "  \(what): \(ids.count) tenant\(ids.count == 1 ? "" : "s") (\(ids.joined(separator: ", ")))\n" }
            }
            line("created", report.created)
            line("already there, identical", report.unchanged)
            line("overwritten (--force)", report.overwritten)
            out += "  platform document: \(report.platform)\n"
            out +=
                "Verified: \(report.verified) document\(report.verified == 1 ? "" : "s") read back from the bucket match the local state.\n\nNext:\n"
            if ctx.fleet.platform.state.backend != .s3 || ctx.fleet.platform.state.bucket != config.bucket
                || (ctx.fleet.platform.state.prefix ?? "") != (config.prefix ?? "")
            {
                var setting = "backend: s3, bucket: \(config.bucket!)"
                if let p = config.prefix, !p.isEmpty { setting += ", prefix: \(p)" }
                if let r = config.region { setting += ", region: \(r)" }
                out += "  1. set `state: {\(setting)}` in platform.yaml\n"
            } else {
                out += "  1. platform.yaml already names this bucket\n"
            }
            out += "  2. run `landlord plan`: it should report No changes\n"
            out += "  3. then move the local copy aside so nobody applies against it: mv .landlord/state .landlord/state.migrated\n"
            out += "  Turn on versioning for the bucket if it is off: it keeps every earlier version of each document.\n"
            ctx.output.print(out)
        }
    }
}
