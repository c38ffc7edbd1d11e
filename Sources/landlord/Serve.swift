import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `landlord serve --listen HOST:PORT`: the tenant lifecycle service. It lives in its own
/// binary, `landlord-server`, beside this one (so building the CLI never compiles SwiftNIO);
/// this verb replaces itself with it.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the tenant lifecycle service (HTTP API: create, approve, reject, delete tenants; events).",
        discussion: """
            Runs the landlord-server binary found beside landlord. Build it as landlord was built: \
            `swift build --product landlord-server` beside a debug build (.build/debug), \
            `swift build -c release --product landlord-server` beside a release one. \
            API tokens come from the variable platform.yaml's `api: {tokensEnv: NAME}` names; \
            without tokens the service listens on loopback only. GET /openapi.json describes the API.
            """)

    @ParentCommand var root: Landlord

    @Option(help: "Where to listen, HOST:PORT.")
    var listen = "127.0.0.1:8080"

    /// How landlord-server writes its log to stderr.
    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: ArgumentHelp("The log's format on stderr: text (a line a person reads) or json (one JSON object a line, " + "for a log shipper)."))
    var logFormat = LogFormat.text

    func run() throws {
        // The running binary (/proc/self/exe on Linux: argv[0] may be a bare name found on PATH).
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let me = URL(fileURLWithPath: exe).resolvingSymlinksInPath()
        let sibling = me.deletingLastPathComponent().appendingPathComponent("landlord-server").path
        guard FileManager.default.isExecutableFile(atPath: sibling) else {
            let out = Output(root.global)
            out.error(
                "the service is a separate binary and \(sibling) does not exist: \(Self.buildHint(for: me.path)), then run `landlord serve` again")
            throw ExitCode(1)
        }
        let args = [sibling, "-C", root.global.chdir, "--listen", listen, "--log-format", logFormat.rawValue]
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv(sibling, &cargs)
        Output(root.global).error("could not start \(sibling): \(String(cString: strerror(errno))); check that it is executable")
        throw ExitCode(1)
    }

    /// How to build the landlord-server that `landlord serve` looks for beside `landlord` (the
    /// running binary, at `path`): with the build configuration of that binary, so the server
    /// lands in the same directory. A binary in SwiftPM's `.build/debug` or `.build/release`
    /// (or `.build/TRIPLE/...`) is told that directory's configuration; any other (installed)
    /// binary is told the install script, and the build it was compiled with.
    static func buildHint(for path: String, debugBuild: Bool = isDebugBuild) -> String {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        let configuration = dir.lastPathComponent
        let underBuild = dir.pathComponents.contains(".build") && ["debug", "release"].contains(configuration)
        if underBuild {
            let flag = configuration == "release" ? " -c release" : ""
            return "build it as this landlord was built, with `swift build\(flag) --product landlord-server` in the package "
                + "(it lands in \(dir.path), beside landlord)"
        }
        let build = debugBuild ? "swift build --product landlord-server" : "swift build -c release --product landlord-server"
        return "for an installed landlord, run scripts/install-landlord.sh with LANDLORD_INSTALL_SERVER=1 (it installs both); "
            + "or build it with `\(build)` and copy .build/\(debugBuild ? "debug" : "release")/landlord-server to \(dir.path)"
    }

    /// Whether this binary was compiled without optimisation (SwiftPM's debug configuration).
    static var isDebugBuild: Bool {
        #if DEBUG
            return true
        #else
            return false
        #endif
    }
}
