import Foundation
import ProviderAPI

/// Reads `state: {key: {...}}` and `state: {keys: [{...}, ...]}` of platform.yaml: each key
/// is exactly one of `{env: NAME}`, `{file: PATH}` or `{kms: KEY_ID_OR_ARN}`.
enum StateKeysReader {
    static let kinds = ["env", "file", "kms"]

    /// The keys, current first; diagnostics for a malformed entry or for settings that clash.
    static func read(_ state: YAMLNode, _ r: inout DocumentReader) -> [StateKeySource] {
        let single = state["key"]
        let list = state["keys"]
        if let single, list != nil {
            r.diagnostics.append(
                .error(
                    "both 'key' and 'keys' are set",
                    detail: "`keys: [current, previous...]` lists every key; put the current key first there and remove 'key'",
                    at: single.location))
            return []
        }
        if let file = state["keyFile"], single != nil || list != nil {
            r.diagnostics.append(
                .error(
                    "'keyFile' cannot be combined with 'key' or 'keys'",
                    detail: "write it as a key entry instead: `{file: \(file.scalar ?? "PATH")}`", at: file.location))
            return []
        }
        if let single { return entry(single, &r).map { [$0] } ?? [] }
        guard let list else { return [] }
        guard let items = list.sequence, !items.isEmpty else {
            r.diagnostics.append(
                .error(
                    "'keys' must be a list of keys, current first",
                    detail: "for example `keys: [{kms: alias/landlord-state}, {env: OLD_STATE_KEY}]`", at: list.location))
            return []
        }
        var out: [StateKeySource] = []
        for item in items {
            guard let k = entry(item, &r) else { continue }
            if out.contains(k) {
                r.diagnostics.append(.error("state key \(k.label) is listed twice", detail: "remove one of the two", at: item.location))
                continue
            }
            out.append(k)
        }
        return out
    }

    /// One `{env|file|kms: VALUE}` mapping.
    static func entry(_ node: YAMLNode, _ r: inout DocumentReader) -> StateKeySource? {
        let hint = "write one of `{env: VARIABLE}`, `{file: PATH}` or `{kms: KEY_ID_OR_ARN}`"
        guard let pairs = node.mapping, pairs.count == 1, let name = pairs[0].key.scalar else {
            r.diagnostics.append(.error("a state key must be a mapping with exactly one entry", detail: hint, at: node.location))
            return nil
        }
        guard let value = pairs[0].value.scalar, !value.isEmpty else {
            r.diagnostics.append(.error("the state key's '\(name)' needs a value", detail: hint, at: pairs[0].value.location))
            return nil
        }
        switch name {
        case "env": return .environment(value)
        case "file": return .file(value)
        case "kms": return .kms(value)
        default:
            r.diagnostics.append(
                .error("unknown kind of state key '\(name)'\(Suggest.didYouMean(name, in: kinds))", detail: hint, at: pairs[0].key.location))
            return nil
        }
    }
}
