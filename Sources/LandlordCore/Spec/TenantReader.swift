import Foundation
import ProviderAPI

/// Checks one parameter value against its declaration: type, enum, pattern.
enum ParameterValues {
    static func check(_ node: YAMLNode, against spec: ParameterSpec, env: EnvironmentAccess) -> Result<Value, Problem> {
        let attrType: AttributeType
        switch spec.kind {
        case .string: attrType = .string
        case .int: attrType = .int
        case .number: attrType = .double
        case .bool: attrType = .bool
        case .list: attrType = .list
        case .map: attrType = .map
        }
        if node.isNull { return .failure("a value is required") }
        var node = node
        var spec = spec
        // `${env.NAME}`: the value comes from the environment (secrets stay out of the file),
        // only for names platform.yaml declares; a sensitive one stays sensitive everywhere.
        if let text = node.scalar, text.hasPrefix("${env."), text.hasSuffix("}") {
            let name = String(text.dropFirst(6).dropLast())
            switch env.resolve(name) {
            case .failure(let p): return .failure(p)
            case .success(let found):
                node = YAMLNode(.scalar(found.value, quoted: true), at: node.location)
                if found.sensitive { spec.sensitive = true }
            }
        }
        let value: Value
        switch NodeValues.typed(node, as: attrType) {
        case .success(let v): value = v
        case .failure(let m): return .failure(m)
        }
        if let allowed = spec.allowed {
            let text = value.interpolationText
            if !allowed.contains(text) {
                if spec.sensitive { return .failure("the (sensitive) value is not one of \(allowed.joined(separator: ", "))") }
                return .failure("'\(text)' is not one of \(allowed.joined(separator: ", "))\(Suggest.didYouMean(text, in: allowed))")
            }
        }
        if let regex = spec.regex, case .string(let s) = value, !regex.matches(s) {
            return .failure(
                spec.sensitive ? "the value does not match pattern \(spec.pattern ?? "")" : "'\(s)' does not match pattern \(spec.pattern ?? "")")
        }
        return .success(spec.sensitive ? .sensitive(value) : value)
    }
}

/// Reads a tenant file and validates its parameters against the blueprint.
enum TenantReader {
    static let fields = ["apiVersion", "kind", "id", "blueprint", "parameters", "approval", "suspended", "description", "labels"]
    /// The values `approval:` takes: only `pending` (a tenant awaiting approval); an approved
    /// tenant has no `approval:` at all.
    static let approvalValues = ["pending"]
    /// Tenant ids become parts of names, tags and file names.
    static let idPattern = PatternMatcher("^[a-z0-9][a-z0-9-]{0,62}$")!

    static func read(
        _ root: YAMLNode, file: String, digest: String, blueprints: [String: Blueprint], blueprintErrors: Set<String>, env: EnvironmentAccess
    ) -> (TenantSpec?, Diagnostics) {
        var r = DocumentReader(file: file, root: root)
        guard r.checkHeader(kind: "Tenant", allowed: fields) else { return (nil, r.diagnostics) }
        guard let id = r.requiredString("id", what: "the tenant id, lowercase letters, digits and dashes"),
            let bpName = r.requiredString("blueprint", what: "the blueprint this tenant is made from")
        else { return (nil, r.diagnostics) }
        if !idPattern.matches(id) {
            r.diagnostics.append(
                .error(
                    "invalid tenant id '\(id)'", detail: "use lowercase letters, digits and dashes (at most 63), starting with a letter or digit",
                    at: root["id"]?.location))
        }
        let bp: Blueprint
        if let named = blueprints[bpName] {
            bp = named
        } else {
            // A blueprint whose own file failed to read was reported there.
            if blueprintErrors.contains(bpName) { return (nil, r.diagnostics) }
            let guess = Suggest.closest(to: bpName, in: blueprints.keys)
            r.diagnostics.append(
                .error(
                    "unknown blueprint '\(bpName)'\(guess.map { " (did you mean '\($0)'?)" } ?? "")",
                    detail: "known blueprints: \(blueprints.keys.sorted().joined(separator: ", ")); add blueprints/\(bpName).yaml or fix the name"
                        + (guess.map { "; the parameters below are checked against '\($0)'" } ?? ""),
                    at: root["blueprint"]?.location))
            // The rest of the file is still checked, so one run reports every error: the
            // parameters against the blueprint the name is a likely misspelling of.
            guard let guess, let guessed = blueprints[guess] else {
                if let given = root["parameters"], !given.isNull, given.mapping == nil {
                    r.diagnostics.append(.error("'parameters' must be a mapping", detail: "write `parameters: {name: value}`", at: given.location))
                }
                _ = approval(root["approval"], &r.diagnostics)
                return (nil, r.diagnostics)
            }
            bp = guessed
        }
        var values: [String: Value] = [:]
        let given = root["parameters"]
        if let given, !given.isNull, given.mapping == nil {
            r.diagnostics.append(.error("'parameters' must be a mapping", detail: "write `parameters: {name: value}`", at: given.location))
        }
        // Parameters an unknown one is a misspelling of: one typo is one error, so such a
        // parameter is not also reported missing.
        var suggested: Set<String> = []
        for (k, v) in given?.mapping ?? [] {
            guard let name = k.scalar else { continue }
            guard let spec = bp.parameters[name] else {
                let guess = Suggest.closest(to: name, in: bp.parameterOrder)
                if let guess { suggested.insert(guess) }
                r.diagnostics.append(
                    .error(
                        "unknown parameter '\(name)'\(guess.map { " (did you mean '\($0)'?)" } ?? "")",
                        detail: "blueprint '\(bp.name)' takes: \(bp.parameterOrder.joined(separator: ", "))", at: k.location))
                continue
            }
            switch ParameterValues.check(v, against: spec, env: env) {
            case .success(let value): values[name] = value
            case .failure(let msg):
                r.diagnostics.append(.error("parameter '\(name)': \(msg)", detail: "declared in \(bp.file):\(spec.location.line)", at: v.location))
            }
        }
        for name in bp.parameterOrder where values[name] == nil {
            let spec = bp.parameters[name]!
            if let d = spec.defaultValue {
                values[name] = d
            } else if given?[name] == nil && !suggested.contains(name) {
                r.diagnostics.append(
                    .error(
                        "missing required parameter '\(name)'",
                        detail: "add `\(name):` under parameters (blueprint '\(bp.name)' gives it no default)",
                        at: given?.location ?? root.location))
            }
        }
        let pending = approval(root["approval"], &r.diagnostics)
        var suspended = false
        if let node = root["suspended"] {
            if case .success(Value.bool(let b)) = NodeValues.typed(node, as: .bool) {
                suspended = b
            } else {
                r.diagnostics.append(
                    .error("'suspended' must be true or false", detail: "write `suspended: true`, or remove the line", at: node.location))
            }
        }
        if r.diagnostics.hasErrors { return (nil, r.diagnostics) }
        var spec = TenantSpec(
            id: id, blueprint: bpName, parameters: values, file: file, digest: digest, location: root["id"]?.location ?? root.location)
        spec.approvalPending = pending
        spec.suspended = suspended
        return (spec, r.diagnostics)
    }

    /// `approval: pending` (true), absent (false), or a diagnostic at the value.
    static func approval(_ node: YAMLNode?, _ diags: inout Diagnostics) -> Bool {
        guard let node else { return false }
        if !node.isNull, let text = node.scalar, approvalValues.contains(text) { return true }
        let shown = node.isNull ? "nothing (null)" : node.scalar.map { "'\($0)'" } ?? node.kindName
        diags.append(
            .error(
                "unknown approval \(shown)\(node.scalar.map { Suggest.didYouMean($0, in: approvalValues) } ?? "")",
                detail:
                    """
                    `approval: pending` marks a tenant awaiting approval (approve it with `landlord tenant approve \
                    ID`); an approved tenant has no `approval:` line
                    """,
                at: node.location))
        return false
    }
}
