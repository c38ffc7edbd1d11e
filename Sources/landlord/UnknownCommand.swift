import ArgumentParser
import Foundation
import LandlordCore

/// `landlord aply`: a misspelt verb, caught before parsing so the message names the verb and
/// the closest one (ArgumentParser alone says only "Unexpected argument").
enum UnknownCommand {
    /// The verbs `landlord` takes, `help` included.
    static var verbs: [String] { Landlord.configuration.subcommands.map { $0._commandName } + ["help"] }

    /// The first argument that is neither a global option nor its value, when it is not a verb.
    static func find(in arguments: [String]) -> String? {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "-C" || a == "--chdir" {
                i += 2
                continue
            }
            if a.hasPrefix("-") {
                i += 1
                continue
            }
            return verbs.contains(a) ? nil : a
        }
        return nil
    }

    /// The message for an unknown verb, saying what to run instead.
    static func message(for verb: String) -> String {
        if let c = Suggest.closest(to: verb, in: verbs) {
            return "unknown command '\(verb)' (did you mean '\(c)'?); `landlord --help` lists the commands"
        }
        return "unknown command '\(verb)'; the commands are \(verbs.joined(separator: ", ")) (`landlord --help` explains them)"
    }
}

extension Landlord {
    /// Checks the verb, then runs as ArgumentParser would.
    static func main() async {
        let args = Array(CommandLine.arguments.dropFirst())
        if let verb = UnknownCommand.find(in: args) {
            if let global = try? GlobalOptions.parse(args.contains("--no-color") ? ["--no-color"] : []) {
                Output(global).error(UnknownCommand.message(for: verb))
            } else {
                FileHandle.standardError.write(Data("error: \(UnknownCommand.message(for: verb))\n".utf8))
            }
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        await runThenShutDownPlugins()
    }

    /// Runs the command, then shuts down the plugins it started (also when it fails).
    static func runThenShutDownPlugins() async {
        do {
            var command = try parseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            await PluginHost.shutdownAll()
            exit(withError: error)
        }
        await PluginHost.shutdownAll()
    }
}
