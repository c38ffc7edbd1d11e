import ProviderAPI

/// Tiers and outputs in a blueprint: `when:` on resources and outputs, the guard rule for
/// references to conditional resources, and `outputs:`.
extension BlueprintReader {
    static let outputFields = ["value", "when", "sensitive", "description"]

    /// Parses a `when:` node; syntax errors point at the character where they are.
    func parseWhen(_ node: YAMLNode, _ r: inout DocumentReader) -> WhenClause? {
        guard case .scalar(let text, let quoted) = node.kind, !node.isNull else {
            r.diagnostics.append(
                .error(
                    "'when' must be a condition in a string, found \(node.kindName)", detail: "write `when: \"${tier} == 'premium'\"`",
                    at: node.location))
            return nil
        }
        var start = node.location
        if quoted { start.column += 1 }
        do {
            let c = try ConditionParser.parse(text)
            return WhenClause(condition: c, text: text, location: start)
        } catch {
            r.diagnostics.append(
                .error(
                    "malformed condition: \(error.message)",
                    detail:
                        "conditions compare parameters and platform inputs with literals: ==, !=, <, <=, >, >=, in [...], "
                        + "combined with &&, || and ! (e.g. \"${tier} == 'premium'\")",
                    at: WhenClause.location(in: text, start: start, at: error.offset)))
            return nil
        }
    }

    /// Checks what a condition refers to: declared parameters (with did-you-mean) and platform
    /// inputs only, and string literals compared with an `enum` parameter among its values.
    /// False when it found a problem.
    @discardableResult
    func checkWhen(_ w: WhenClause, parameters: [String: ParameterSpec], resources: Set<String>, _ r: inout DocumentReader) -> Bool {
        let before = r.diagnostics.errors.count
        for op in w.condition.references {
            guard case .reference(let ref, let src) = op.kind else { continue }
            let at = w.location(at: op.offset)
            switch ref {
            case .parameter(let p):
                if parameters[p] == nil {
                    r.diagnostics.append(
                        .error(
                            "reference to unknown parameter '\(p)'\(Suggest.didYouMean(p, in: parameters.keys))",
                            detail:
                                "a condition reads parameters (${NAME}) and platform inputs (${platform.NAME}); declare '\(p)' under `parameters:`",
                            at: at))
                }
            case .platform(let path):
                if let platform, let first = path.first, platform.inputs[first] == nil {
                    r.diagnostics.append(
                        .error(
                            "reference to unknown platform input '\(first)'\(Suggest.didYouMean(first, in: platform.inputs.keys))",
                            detail: "add '\(first)' under `inputs:` in \(platform.file)", at: at))
                } else if path.isEmpty {
                    r.diagnostics.append(.error("${platform} needs an input name", detail: "write ${platform.NAME}", at: at))
                }
            case .tenantSuspended:
                break
            case .resource(let name, _) where resources.contains(name):
                r.diagnostics.append(
                    .error(
                        "a condition cannot read resource attributes (${\(src)})",
                        detail: "conditions are decided at plan time, before anything is applied; use a parameter or platform input", at: at))
            default:
                r.diagnostics.append(
                    .error(
                        "a condition can only read parameters and platform inputs, not ${\(src)}",
                        detail: "use ${PARAMETER} or ${platform.INPUT}\(Suggest.didYouMean(src, in: parameters.keys))", at: at))
            }
        }
        checkEnumLiterals(w.condition, w, parameters, &r)
        return r.diagnostics.errors.count == before
    }

    /// `${tier} == 'premum'` against `tier: {enum: [basic, premium]}` can never hold: an error.
    private func checkEnumLiterals(_ c: Condition, _ w: WhenClause, _ parameters: [String: ParameterSpec], _ r: inout DocumentReader) {
        func check(_ ref: ConditionOperand, _ lits: [ConditionOperand]) {
            guard case .reference(.parameter(let p), _) = ref.kind, let allowed = parameters[p]?.allowed else { return }
            for lit in lits {
                guard case .literal(let v) = lit.kind, !allowed.contains(v.interpolationText) else { continue }
                r.diagnostics.append(
                    .error(
                        "'\(v.interpolationText)' is not a value of parameter '\(p)'\(Suggest.didYouMean(v.interpolationText, in: allowed))",
                        detail: "'\(p)' is one of: \(allowed.joined(separator: ", ")); the condition could never \(c.isNegative ? "fail" : "hold")",
                        at: w.location(at: lit.offset)))
            }
        }
        switch c {
        case .compare(let a, let b, _):
            check(a, [b])
            check(b, [a])
        case .member(let a, let items, _): check(a, items)
        case .order: break  // numbers: no enum values to check
        case .not(let x): checkEnumLiterals(x, w, parameters, &r)
        case .and(let x, let y), .or(let x, let y):
            checkEnumLiterals(x, w, parameters, &r)
            checkEnumLiterals(y, w, parameters, &r)
        }
    }

    /// A reference to a conditional resource from something (a resource, an output) that is
    /// not guarded by the same condition, or one that implies it, is an error: for tenants
    /// where the target is absent there would be nothing to refer to.
    func checkGuard(
        referrer: String, guarded: WhenClause?, target: ResourceTemplate, at loc: SourceLocation, _ r: inout DocumentReader
    ) {
        guard let needed = target.when else { return }
        if let guarded, guarded.condition.implies(needed.condition) { return }
        let mine = guarded.map { "its `when: \"\($0.text)\"` does not imply it" } ?? "it has no `when:`"
        r.diagnostics.append(
            .error(
                "\(referrer) refers to conditional resource '\(target.name)' (when: \"\(needed.text)\"), but \(mine)",
                detail:
                    "give \(referrer) `when: \"\(needed.text)\"` too (the same condition, or it && more), or refer to a resource every tenant has",
                at: loc))
    }

    /// Reads `outputs: {NAME: "template"}` or `{NAME: {value: ..., when: ..., sensitive: true}}`
    /// and checks their references: known resources and attributes, guarded when conditional.
    func readOutputs(
        _ node: YAMLNode, parameters: [String: ParameterSpec], resources byName: [String: ResourceTemplate], sequences: [String: Int],
        _ r: inout DocumentReader
    ) -> [OutputTemplate] {
        guard let pairs = node.mapping else {
            r.diagnostics.append(
                .error(
                    "'outputs' must be a mapping of names to values", detail: "write `outputs: {userPoolId: \"${users.id}\"}`", at: node.location))
            return []
        }
        var out: [OutputTemplate] = []
        for (k, v) in pairs {
            guard let name = k.scalar else { continue }
            var valueNode = v
            var when: WhenClause?
            var declaredSensitive = false
            var whenOK = true
            if v.mapping != nil {
                r.checkKeys(v, allowed: Self.outputFields, what: "output field")
                guard let vn = v["value"] else {
                    r.diagnostics.append(
                        .error("output '\(name)' has no `value:`", detail: "write `\(name): {value: \"${users.id}\"}`", at: v.location))
                    continue
                }
                valueNode = vn
                if let w = v["when"] {
                    when = parseWhen(w, &r)
                    whenOK = when.map { checkWhen($0, parameters: parameters, resources: Set(byName.keys), &r) } ?? false
                }
                if let s = v["sensitive"] {
                    if case .success(Value.bool(let b)) = NodeValues.typed(s, as: .bool) {
                        declaredSensitive = b
                    } else {
                        r.diagnostics.append(.error("'sensitive' must be true or false", at: s.location))
                    }
                }
            }
            guard let value = outputTemplate(valueNode, &r) else { continue }
            let checked = checkReferences(value, parameters: parameters, resources: byName, sequences: sequences, &r)
            if whenOK {
                for (res, loc) in checked.resources { checkGuard(referrer: "output '\(name)'", guarded: when, target: res, at: loc, &r) }
            }
            let sensitive = declaredSensitive || checked.sensitive
            out.append(OutputTemplate(name: name, value: value, when: when, sensitive: sensitive, location: k.location))
        }
        return out.sorted { $0.name < $1.name }
    }

    /// What a value template outside `resources:` (an output, a health check's URL) refers
    /// to, checked: declared parameters and sequences, platform inputs, the blueprint's
    /// resources and their attributes, each unknown one a diagnostic with a did-you-mean.
    /// Returns whether it reads a sensitive value and the resources it names.
    func checkReferences(
        _ value: ValueTemplate, parameters: [String: ParameterSpec], resources byName: [String: ResourceTemplate], sequences: [String: Int],
        _ r: inout DocumentReader
    ) -> (sensitive: Bool, resources: [(ResourceTemplate, SourceLocation)]) {
        var sensitive = false
        var named: [(ResourceTemplate, SourceLocation)] = []
        for (ref, loc) in value.references {
            switch ref {
            case .parameter(let p):
                if let spec = parameters[p] {
                    if spec.sensitive { sensitive = true }
                } else {
                    r.diagnostics.append(
                        .error(
                            "reference to unknown parameter '\(p)'\(Suggest.didYouMean(p, in: Array(parameters.keys) + byName.keys))",
                            detail: "declare it under `parameters:` or use platform.X, tenant.id or RESOURCE.ATTRIBUTE", at: loc))
                }
            case .platform(let path):
                if let platform, let first = path.first, platform.inputs[first] == nil {
                    r.diagnostics.append(
                        .error(
                            "reference to unknown platform input '\(first)'\(Suggest.didYouMean(first, in: platform.inputs.keys))",
                            detail: "add '\(first)' under `inputs:` in \(platform.file)", at: loc))
                }
            case .tenantID, .tenantSuspended: break
            case .sequence(let s):
                if sequences[s] == nil {
                    r.diagnostics.append(
                        .error(
                            "reference to undeclared sequence '\(s)'\(Suggest.didYouMean(s, in: sequences.keys))",
                            detail: "declare it under `sequences:` in this blueprint", at: loc))
                }
            case .resource(let target, let path):
                guard let res = byName[target] else {
                    r.diagnostics.append(
                        .error(
                            "reference to unknown resource '\(target)'\(Suggest.didYouMean(target, in: Array(byName.keys) + parameters.keys))",
                            detail: "refer to a resource of this blueprint as ${RESOURCE.ATTRIBUTE}", at: loc))
                    continue
                }
                let attrs = schemas[res.type]?.attributes ?? [:]
                if let attr = path.first {
                    if let a = attrs[attr] {
                        if a.sensitive { sensitive = true }
                    } else {
                        r.diagnostics.append(
                            .error(
                                "resource '\(target)' (\(res.type)) has no attribute '\(attr)'\(Suggest.didYouMean(attr, in: attrs.keys))",
                                detail: "its attributes: \(attrs.keys.sorted().joined(separator: ", "))", at: loc))
                    }
                }
                named.append((res, loc))
            }
        }
        return (sensitive, named)
    }

    /// An output's value: any YAML value, with `${...}` references in its strings.
    func outputTemplate(_ node: YAMLNode, _ r: inout DocumentReader) -> ValueTemplate? {
        switch node.kind {
        case .scalar(let s, _):
            guard TemplateParser.hasReference(s) else { return .literal(NodeValues.untyped(node)) }
            do { return .interpolated(try TemplateParser.parse(s), location: node.location) } catch {
                r.diagnostics.append(
                    .error(
                        "malformed reference in '\(s)'",
                        detail: "write references as ${name}, ${platform.input}, ${tenant.id} or ${resource.attribute}", at: node.location))
                return nil
            }
        case .sequence(let items): return .list(items.compactMap { outputTemplate($0, &r) })
        case .mapping(let pairs):
            var m: [String: ValueTemplate] = [:]
            for (k, v) in pairs { if let t = outputTemplate(v, &r) { m[k.scalar ?? ""] = t } }
            return .map(m)
        }
    }
}

extension Condition {
    /// A top-level `!` or `!=`: used to word "could never hold / fail".
    var isNegative: Bool {
        switch self {
        case .not: return true
        case .compare(_, _, let eq): return !eq
        case .member(_, _, let neg): return neg
        default: return false
        }
    }
}
