import Foundation

/// How this run was invoked, for the paths a verb takes and the commands it prints.
///
/// Relative paths given to a verb (`plan --out FILE`, `apply FILE`, `show FILE`, `init DIR`) are
/// taken from `-C DIR`, as if the run had started with `cd DIR`: what `git -C`, `make -C` and
/// `terraform -chdir` do, and what the option's long name, `--chdir`, says.
extension GlobalOptions {
    /// `path` as this run uses it: as given when absolute or without `-C`, else under `-C`'s
    /// directory (still relative to the shell's directory when `-C` is, so messages can quote it).
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || chdir == "." || chdir.isEmpty { return path }
        return (chdir.hasSuffix("/") ? chdir : chdir + "/") + path
    }

    /// `landlord` (as it was run: see ``Invocation/program``) followed by `-C DIR` when the run
    /// had one, for commands printed to be pasted: `landlord -C fleet apply tenants.plan`.
    var command: String {
        chdir == "." || chdir.isEmpty ? Invocation.program : "\(Invocation.program) -C \(Invocation.shellQuoted(chdir))"
    }
}

/// The name printed commands start with.
enum Invocation {
    /// `landlord` when that name on PATH runs this binary; otherwise the path it was run as
    /// (`.build/debug/landlord` before it is installed), so a printed `Next:` command works.
    static let program: String = {
        let argv0 = CommandLine.arguments.first ?? "landlord"
        guard argv0.contains("/") else { return "landlord" }
        let me = URL(fileURLWithPath: argv0).resolvingSymlinksInPath().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("landlord")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            // The first `landlord` on PATH is what the name runs: this binary or another one.
            return candidate.resolvingSymlinksInPath().path == me ? "landlord" : shellQuoted(argv0)
        }
        return shellQuoted(argv0)
    }()

    /// `word` as a POSIX shell reads it back: bare when it holds only safe characters, else in
    /// single quotes.
    static func shellQuoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty && word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
