import ProviderAPI

extension TenantPlanner {
    /// The `deletion:` policy a delete of state key `key` follows: the blueprint's when it still
    /// has the resource, else the one recorded with it. The old object of a replacement
    /// (`NAME#deposed`) is always deleted: the new one carries the policy on.
    func deletionPolicy(_ key: String, recorded: ResourceState, blueprint: Blueprint?) -> DeletionPolicy {
        guard StateChange.baseName(key) == key else { return .delete }
        if let bp = blueprint, let i = bp.resourceIndex[key], bp.resources[i].type == recorded.type { return bp.resources[i].deletion }
        return recorded.deletion
    }

    /// A `snapshot` delete needs a type that exports and a platform `exports:` place to put it.
    func checkDeletionPolicy(_ change: ResourceChange, _ diags: inout Diagnostics) {
        guard change.deletion == .snapshot else { return }
        if input.schemas[change.type]?.exportFormat == nil {
            diags.append(
                .error(
                    "\(change.address) has `deletion: snapshot` but \(change.type) cannot be exported",
                    detail: "set `deletion: retain` or `delete` on it in the blueprint, then plan again", address: change.address))
        } else if input.fleet.platform.exports == nil {
            diags.append(
                .error(
                    "\(change.address) has `deletion: snapshot` but platform.yaml declares no `exports:` place",
                    detail: "add `exports: {directory: exports}` or `exports: {s3: {bucket: NAME, prefix: exports}}` to "
                        + "\(input.fleet.platform.file), then plan again; nothing was deleted",
                    address: change.address))
        }
    }
}

extension TextRenderer {
    /// A delete under `deletion: retain`: the resource is forgotten, left in the cloud.
    func retained(_ c: ResourceChange) -> String {
        var out = "  # \(palette.bold(c.address)) will be retained (deletion: retain)"
        if !c.reasons.isEmpty { out += " (" + c.reasons.joined(separator: "; ") + ")" }
        return out + "\n      \(c.type) \(c.priorID ?? ""): forgotten by Landlord and left in the cloud; nothing is deleted\n"
    }
}

extension MarkdownRenderer {
    /// The call-out of a delete under a `deletion:` policy other than delete, nil otherwise.
    static func policyNote(_ c: ResourceChange) -> String? {
        guard c.action == .delete else { return nil }
        switch c.deletion {
        case .delete: return nil
        case .retain:
            return "> :information_source: **`\(c.address)`** (`\(c.type)`) will be **retained** (deletion: retain): forgotten, left in the cloud."
        case .snapshot:
            return "> :floppy_disk: **`\(c.address)`** (`\(c.type)`) will be **exported, then deleted** (deletion: snapshot)."
        }
    }
}
