import ArgumentParser
import Foundation
import QuickstartFleet

/// `landlord init DIR`: write the quickstart fleet into a directory to try Landlord on, so no
/// walk-through ever edits the repository's examples.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the quickstart fleet (two tenants on the simulated cloud) into DIR.",
        discussion:
            """
            DIR gets platform.yaml, blueprints/web.yaml and tenants/acme.yaml, tenants/globex.yaml, the files \
            of examples/quickstart. A DIR that exists and is not empty is refused unless --force, which \
            overwrites those files and leaves everything else (state included) in place.
            """
    )

    @ParentCommand var root: Landlord

    @Argument(help: "The directory to create (relative paths are taken from -C).")
    var directory: String

    @Flag(help: "Write into DIR even though it is not empty, replacing the quickstart's files.")
    var force = false

    func run() async throws {
        let output = Output(root.global)
        let base = URL(fileURLWithPath: root.global.chdir)
        let dir = directory.hasPrefix("/") ? URL(fileURLWithPath: directory) : base.appendingPathComponent(directory)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                output.error("\(directory) is a file, not a directory; name a new directory, e.g. `landlord init /tmp/quickstart`")
                throw ExitCode(1)
            }
            let entries = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            if !entries.isEmpty && !force {
                output.error(
                    """
                    \(directory) is not empty, so nothing was written: name a new or empty directory, or pass --force \
                    to overwrite the quickstart's files there
                    """
                )
                throw ExitCode(1)
            }
        }
        let written: [String]
        do { written = try QuickstartFleet.write(to: dir) } catch {
            output.error("could not write the quickstart fleet to \(directory): \(error)")
            throw ExitCode(1)
        }
        output.print(
            """
            Wrote the quickstart fleet to \(directory): \(written.joined(separator: ", ")).
            Next: \(Invocation.program) -C \(Invocation.shellQuoted(root.global.resolve(directory))) plan

            """)
    }
}
