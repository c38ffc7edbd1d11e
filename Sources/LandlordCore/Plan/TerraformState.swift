import Foundation
import ProviderAPI

/// One managed resource instance of a Terraform state: where it is (its module's address), its
/// Terraform type and name, and its attributes as the state holds them.
public struct TerraformResource: Sendable, Hashable {
    /// The module instance's address (`module.tenant["acme"]`), empty at the root.
    public var module: String
    public var type: String
    public var name: String
    /// The instance key of `count` or `for_each` (nil: none).
    public var index: Value?
    public var attributes: [String: Value]

    /// `module.tenant["acme"].aws_cognito_user_pool.users` (with `[KEY]` when indexed).
    public var address: String {
        var a = (module.isEmpty ? "" : module + ".") + type + "." + name
        if let index { a += "[" + (index.stringValue.map { "\"\($0)\"" } ?? index.interpolationText) + "]" }
        return a
    }
}

/// Why a Terraform state file cannot be read.
public struct TerraformStateError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Reads Terraform state: the state file itself (format version 4, `terraform state pull`), or
/// `terraform show -json` output (`format_version` 1.x, `values.root_module`). Data sources are
/// left out; each format has its own reader.
public enum TerraformState {
    public static func read(_ bytes: [UInt8]) throws(TerraformStateError) -> [TerraformResource] {
        let doc: Value
        do { doc = try JSON.parse(bytes) } catch {
            throw TerraformStateError(description: "not JSON (\(error)); give a Terraform state file or `terraform show -json` output")
        }
        guard let m = doc.mapValue else { throw TerraformStateError(description: "not a JSON object") }
        if m["version"] != nil && m["resources"] != nil {
            guard m["version"]?.intValue == 4 else {
                throw TerraformStateError(
                    description:
                        "state format version \(m["version"]!.interpolationText) is not read: upgrade it with Terraform 0.12 or later (format 4)")
            }
            return formatFour(m["resources"]?.listValue ?? [])
        }
        if m["format_version"] != nil {
            guard let root = m["values"]?.mapValue?["root_module"]?.mapValue else { return [] }  // an empty state
            return showJSON(root)
        }
        throw TerraformStateError(description: "neither a state file (\"version\": 4) nor `terraform show -json` output (\"format_version\")")
    }

    static func formatFour(_ resources: [Value]) -> [TerraformResource] {
        var out: [TerraformResource] = []
        for r in resources {
            guard let m = r.mapValue, m["mode"]?.stringValue ?? "managed" == "managed", let type = m["type"]?.stringValue,
                let name = m["name"]?.stringValue
            else { continue }
            for i in m["instances"]?.listValue ?? [] {
                guard let inst = i.mapValue else { continue }
                out.append(
                    TerraformResource(
                        module: m["module"]?.stringValue ?? "", type: type, name: name, index: inst["index_key"],
                        attributes: inst["attributes"]?.mapValue ?? [:]))
            }
        }
        return out
    }

    static func showJSON(_ module: [String: Value]) -> [TerraformResource] {
        var out: [TerraformResource] = []
        let address = module["address"]?.stringValue ?? ""
        for r in module["resources"]?.listValue ?? [] {
            guard let m = r.mapValue, m["mode"]?.stringValue ?? "managed" == "managed", let type = m["type"]?.stringValue,
                let name = m["name"]?.stringValue
            else { continue }
            out.append(TerraformResource(module: address, type: type, name: name, index: m["index"], attributes: m["values"]?.mapValue ?? [:]))
        }
        for child in module["child_modules"]?.listValue ?? [] {
            if let c = child.mapValue { out.append(contentsOf: showJSON(c)) }
        }
        return out
    }

    /// The tenant a module address belongs to under `pattern` (`module.tenant["{id}"]`,
    /// `module.customer_{id}`): the text `{id}` stands for, or nil.
    public static func tenant(of module: String, pattern: String) -> String? {
        guard let r = pattern.range(of: "{id}") else { return module == pattern ? "" : nil }
        let prefix = String(pattern[..<r.lowerBound])
        let suffix = String(pattern[r.upperBound...])
        guard module.hasPrefix(prefix), module.hasSuffix(suffix), module.count > prefix.count + suffix.count else { return nil }
        return String(module.dropFirst(prefix.count).dropLast(suffix.count))
    }
}

/// Where `landlord adopt --from-terraform` finds a fleet's resources: a Terraform state, the
/// module address of one tenant, and how each Landlord type looks in Terraform (the same
/// shapes as the plan export, read the other way).
public struct TerraformStateSource: Sendable {
    public var resources: [TerraformResource]
    /// The address of a tenant's module instance, `{id}` standing for the tenant id.
    public var pattern: String
    /// Each Landlord type's Terraform shape (types without one cannot be found in the state).
    public var shapes: [String: TerraformShape]
    public static let defaultPattern = "module.tenant[\"{id}\"]"

    public init(resources: [TerraformResource], pattern: String = TerraformStateSource.defaultPattern, shapes: [String: TerraformShape]) {
        self.resources = resources
        self.pattern = pattern
        self.shapes = shapes
    }

    /// The state's resources of each tenant, by Terraform type.
    func byTenant() -> [String: [String: [TerraformResource]]] {
        var out: [String: [String: [TerraformResource]]] = [:]
        for r in resources {
            guard let t = TerraformState.tenant(of: r.module, pattern: pattern) else { continue }
            out[t, default: [:]][r.type, default: []].append(r)
        }
        return out
    }
}
