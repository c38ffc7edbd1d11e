import Foundation
import LandlordCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where the CLI writes: results to stdout, diagnostics and progress to stderr. Colors only on
/// a terminal without NO_COLOR and --no-color.
struct Output: Sendable {
    let palette: Palette
    let errPalette: Palette
    /// Prefix for spec paths in diagnostics, so they are relative to where the user stands.
    let prefix: String

    init(_ global: GlobalOptions) {
        let env = ProcessInfo.processInfo.environment
        let colorOK = !global.noColor && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
        palette = Palette(enabled: colorOK && isatty(1) == 1)
        errPalette = Palette(enabled: colorOK && isatty(2) == 1)
        prefix = global.chdir == "." ? "" : (global.chdir.hasSuffix("/") ? global.chdir : global.chdir + "/")
    }

    var stderrIsTerminal: Bool { isatty(2) == 1 }

    func print(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    func printErr(_ s: String) {
        FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    /// Writes to stderr as is (no newline added), for a live progress line.
    func printErrRaw(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }

    func error(_ s: String) { printErr(errPalette.red("error: ") + s) }
    func warning(_ s: String) { printErr(errPalette.yellow("warning: ") + s) }

    /// `path:line:col: error: summary` then the detail, for every diagnostic, sorted.
    func diagnostics(_ d: Diagnostics) {
        for item in d.sorted { diagnostic(item) }
    }

    func diagnostic(_ item: Diagnostic) {
        var s = ""
        if let l = item.location { s += "\(prefix)\(l.file):\(l.line):\(l.column): " }
        s += item.severity == .error ? errPalette.red("error: ") : errPalette.yellow("warning: ")
        if let a = item.address { s += "\(a): " }
        s += item.summary + item.providerTags
        if !item.detail.isEmpty { s += "\n  " + item.detail.replacingOccurrences(of: "\n", with: "\n  ") }
        printErr(s)
    }
}
