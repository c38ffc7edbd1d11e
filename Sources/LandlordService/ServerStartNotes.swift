import LandlordCore
import LandlordLifecycle
import Logging

/// What landlord-server says about its own set-up and the tenants' lifecycle, beside the
/// access log.
public enum ServerStartNotes {
    /// The variable the examples export for tokens.
    public static let conventionalTokenVariable = "LANDLORD_API_TOKENS"

    /// A warning when `LANDLORD_API_TOKENS` is set but platform.yaml does not name it in
    /// `api: {tokensEnv: ...}`: the tokens in it are not checked (nil: nothing to warn of).
    /// `tokensEnv`: the variable platform.yaml names (`api.tokensEnv`), if any.
    public static func ignoredTokenVariable(tokensEnv: String?, environment: [String: String]) -> String? {
        let name = conventionalTokenVariable
        guard environment[name] != nil, tokensEnv != name else { return nil }
        let instead = tokensEnv.map { "the tokens come from \($0), which it names" } ?? "the service checks no tokens"
        return "\(name) is set, but platform.yaml's api: {tokensEnv: ...} does not name it, so it is ignored and \(instead); "
            + "add `api: {tokensEnv: \(name)}` to platform.yaml to use it"
    }

    /// A status-change observer that logs one line per change, with the tenant's id.
    public static func logger(_ logger: Logger) -> @Sendable (StatusChange) -> Void {
        { change in
            var metadata: Logger.Metadata = [
                "tenant": .string(change.tenant), "blueprint": .string(change.blueprint), "status": .string(change.to.rawValue),
                "from": .string(change.from?.rawValue ?? "none"),
            ]
            if let reason = change.reason { metadata["reason"] = .string(reason) }
            let level: Logger.Level = change.to == .failed ? .warning : .info
            logger.log(level: level, "tenant \(change.tenant) is \(change.to.rawValue)", metadata: metadata)
        }
    }
}
