import ProviderAPI

/// Reads and compiles a blueprint: parameters, resource templates, references checked against
/// the provider schemas and platform inputs, dependency order computed once for all tenants.
struct BlueprintReader {
    static let fields = [
        "apiVersion", "kind", "name", "description", "parameters", "sequences", "resources", "outputs", "onboarding", "health",
        "updates", "reconcile",
    ]
    static let parameterFields = ["type", "default", "enum", "pattern", "sensitive", "description"]
    static let resourceFields = ["type", "properties", "dependsOn", "wait", "protect", "when", "description", "deletion", "suspended"]

    let schemas: [String: ResourceSchema]
    let platform: PlatformSpec?
    /// What `${env.NAME}` in a parameter default may read.
    var env = EnvironmentAccess()

    func read(_ root: YAMLNode, file: String, digest: String) -> (Blueprint?, Diagnostics) {
        var r = DocumentReader(file: file, root: root)
        guard r.checkHeader(kind: "Blueprint", allowed: Self.fields) else { return (nil, r.diagnostics) }
        let name = r.requiredString("name", what: "the blueprint's name, which tenants give as `blueprint:`") ?? ""

        var parameters: [String: ParameterSpec] = [:]
        var order: [String] = []
        if let p = r.mapping("parameters") {
            for (k, v) in p.mapping ?? [] {
                guard let pname = k.scalar else { continue }
                if let spec = readParameter(pname, v, &r) {
                    parameters[pname] = spec
                    order.append(pname)
                }
            }
        }

        var sequences: [String: Int] = [:]
        if let seqs = r.mapping("sequences") {
            for (k, v) in seqs.mapping ?? [] {
                guard let sname = k.scalar else { continue }
                r.checkKeys(v, allowed: ["start", "description"], what: "sequence field")
                var start = 1
                if let st = v["start"] {
                    guard let n = st.scalar.flatMap({ Int($0) }), n >= 0 else {
                        r.diagnostics.append(
                            .error(
                                "'start' of sequence '\(sname)' must be a whole number", detail: "write `\(sname): {start: 1000}`", at: st.location))
                        continue
                    }
                    start = n
                }
                sequences[sname] = start
            }
        }
        var resources: [ResourceTemplate] = []
        guard let rs = r.mapping("resources") else {
            r.diagnostics.append(
                .error("a blueprint needs `resources:`", detail: "list what one tenant is made of under `resources:`", at: root.location))
            return (nil, r.diagnostics)
        }
        for (k, v) in rs.mapping ?? [] {
            guard let rname = k.scalar else { continue }
            if parameters[rname] != nil {
                r.diagnostics.append(
                    .error(
                        "resource '\(rname)' has the same name as a parameter", detail: "rename one, so `${\(rname)}` is not ambiguous",
                        at: k.location))
            }
            if rname == "platform" || rname == "tenant" || rname.contains("/") {
                r.diagnostics.append(
                    .error(
                        "'\(rname)' cannot name a resource",
                        detail: "'platform' and 'tenant' are reserved and '/' separates tenant and resource in addresses", at: k.location))
            }
            if let res = readResource(rname, at: k.location, v, &r) { resources.append(res) }
        }

        // References and dependencies.
        let names = Set(resources.map(\.name))
        let byName = Dictionary(resources.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Conditions first: a resource whose `when:` is wrong gets that one error, not also
        // one for every guarded reference it makes.
        var badWhen = Set<String>()
        for (k, v) in rs.mapping ?? [] where v["when"] != nil {
            guard let n = k.scalar, let res = byName[n] else { continue }
            if let w = res.when, checkWhen(w, parameters: parameters, resources: names, &r) { continue }
            badWhen.insert(n)
        }
        for i in resources.indices {
            var deps = Set<String>()
            for (_, t) in resources[i].properties {
                for (ref, loc) in t.references {
                    switch ref {
                    case .platform(let path):
                        checkPlatformPath(path, at: loc, &r)
                    case .tenantID, .tenantSuspended:
                        break
                    case .sequence(let sname):
                        if sequences[sname] == nil {
                            r.diagnostics.append(
                                .error(
                                    "reference to undeclared sequence '\(sname)'\(Suggest.didYouMean(sname, in: sequences.keys))",
                                    detail: "declare it under `sequences:` in this blueprint, e.g. `sequences: {\(sname): {start: 1}}`", at: loc))
                        }
                    case .parameter(let p):
                        if parameters[p] == nil {
                            let candidates = Array(parameters.keys) + names.map { $0 }
                            r.diagnostics.append(
                                .error(
                                    "reference to unknown parameter '\(p)'\(Suggest.didYouMean(p, in: candidates))",
                                    detail: "declare it under `parameters:` or use platform.X, tenant.id or RESOURCE.ATTRIBUTE", at: loc))
                        }
                    case .resource(let target, let path):
                        if target == "tenant" {
                            r.diagnostics.append(
                                .error(
                                    "unknown tenant attribute '\(path.joined(separator: "."))'",
                                    detail: "only ${tenant.id} and ${tenant.suspended} are available", at: loc)
                            )
                        } else if let other = byName[target] {
                            let attrs = schemas[other.type]?.attributes ?? [:]
                            if let attr = path.first, attrs[attr] == nil {
                                r.diagnostics.append(
                                    .error(
                                        "resource '\(target)' (\(other.type)) has no attribute '\(attr)'\(Suggest.didYouMean(attr, in: attrs.keys))",
                                        detail: "its attributes: \(attrs.keys.sorted().joined(separator: ", "))", at: loc))
                            }
                            if target == resources[i].name {
                                r.diagnostics.append(
                                    .error("resource '\(target)' refers to itself", detail: "a resource cannot use its own attributes", at: loc))
                            } else {
                                deps.insert(target)
                                if !badWhen.contains(resources[i].name) && !badWhen.contains(target) {
                                    checkGuard(referrer: "resource '\(resources[i].name)'", guarded: resources[i].when, target: other, at: loc, &r)
                                }
                            }
                        } else {
                            let candidates = names.map { $0 } + Array(parameters.keys)
                            r.diagnostics.append(
                                .error(
                                    "reference to unknown resource '\(target)'\(Suggest.didYouMean(target, in: candidates))",
                                    detail: "declare '\(target)' under `resources:` or fix the name", at: loc))
                        }
                    }
                }
            }
            for d in resources[i].dependencies {
                if names.contains(d) {
                    deps.insert(d)
                } else {
                    r.diagnostics.append(
                        .error(
                            "dependsOn names unknown resource '\(d)'\(Suggest.didYouMean(d, in: names))",
                            detail: "name a resource of this blueprint", at: resources[i].location))
                }
            }
            resources[i].dependencies = deps.sorted()
        }
        var outputs: [OutputTemplate] = []
        if let o = root["outputs"] { outputs = readOutputs(o, parameters: parameters, resources: byName, sequences: sequences, &r) }
        var health: [HealthCheck] = []
        if let h = root["health"] { health = readHealth(h, parameters: parameters, resources: byName, sequences: sequences, &r) }

        // Dependency order, computed once for every tenant of this blueprint.
        var index: [String: Int] = [:]
        for (i, res) in resources.enumerated() { index[res.name] = i }
        var dag = DAG(count: resources.count)
        for (i, res) in resources.enumerated() {
            for d in res.dependencies { if let j = index[d] { dag.addEdge(i, dependsOn: j) } }
        }
        guard let topo = dag.topologicalOrder() else {
            let cycle = dag.findCycle() ?? []
            let path = cycle.map { resources[$0].name }.joined(separator: " -> ")
            r.diagnostics.append(
                .error(
                    "reference cycle: \(path)", detail: "break the cycle: one of these resources must not depend on the other",
                    at: cycle.first.map { resources[$0].location }))
            return (nil, r.diagnostics)
        }
        let ordered = topo.map { resources[$0] }
        var orderedIndex: [String: Int] = [:]
        for (i, res) in ordered.enumerated() { orderedIndex[res.name] = i }
        let onboarding = ServiceSettingsReader.readOnboarding(root["onboarding"], &r)
        let updates = DayTwoSettingsReader.readUpdates(root["updates"], &r)
        let reconcile = DayTwoSettingsReader.readReconcile(root["reconcile"], &r)
        if r.diagnostics.hasErrors { return (nil, r.diagnostics) }
        var bp = Blueprint(
            name: name, parameters: parameters, parameterOrder: order, resources: ordered, resourceIndex: orderedIndex, file: file, digest: digest)
        bp.sequences = sequences
        bp.outputs = outputs
        bp.health = health
        bp.onboarding = onboarding
        bp.updates = updates
        bp.reconcile = reconcile
        return (bp, r.diagnostics)
    }

    private func checkPlatformPath(_ path: [String], at loc: SourceLocation, _ r: inout DocumentReader) {
        guard let platform else { return }
        guard let first = path.first else {
            r.diagnostics.append(.error("${platform} needs an input name", detail: "write ${platform.NAME}", at: loc))
            return
        }
        if platform.inputs[first] == nil {
            r.diagnostics.append(
                .error(
                    "reference to unknown platform input '\(first)'\(Suggest.didYouMean(first, in: platform.inputs.keys))",
                    detail: "add '\(first)' under `inputs:` in \(platform.file)", at: loc))
        }
    }

    private func readParameter(_ name: String, _ node: YAMLNode, _ r: inout DocumentReader) -> ParameterSpec? {
        guard node.mapping != nil else {
            r.diagnostics.append(.error("parameter '\(name)' must be a mapping", detail: "write `\(name): {type: string}`", at: node.location))
            return nil
        }
        r.checkKeys(node, allowed: Self.parameterFields, what: "parameter field")
        var kind = ParameterSpec.Kind.string
        if let t = node["type"] {
            if let k = t.scalar.flatMap(ParameterSpec.Kind.init(rawValue:)) {
                kind = k
            } else {
                let names = ParameterSpec.Kind.allCases.map(\.rawValue)
                r.diagnostics.append(
                    .error(
                        "unknown parameter type '\(t.scalar ?? t.kindName)'\(Suggest.didYouMean(t.scalar ?? "", in: names))",
                        detail: "use one of: \(names.joined(separator: ", "))", at: t.location))
            }
        }
        var allowed: [String]?
        if let e = node["enum"] {
            if let items = e.sequence {
                allowed = items.map { $0.scalar ?? "" }
            } else {
                r.diagnostics.append(.error("'enum' must be a list", detail: "write `enum: [a, b]`", at: e.location))
            }
        }
        var pattern: String?
        var matcher: PatternMatcher?
        if let p = node["pattern"] {
            pattern = p.scalar
            matcher = p.scalar.flatMap(PatternMatcher.init)
            if matcher == nil {
                r.diagnostics.append(
                    .error(
                        "invalid regular expression in 'pattern'", detail: "fix the pattern (ICU syntax), e.g. \"^[a-z][a-z0-9-]{2,39}$\"",
                        at: p.location))
            }
        }
        var sensitive = false
        if let s = node["sensitive"] {
            if case .success(Value.bool(let b)) = NodeValues.typed(s, as: .bool) {
                sensitive = b
            } else {
                r.diagnostics.append(.error("'sensitive' must be true or false", at: s.location))
            }
        }
        var spec = ParameterSpec(
            name: name, kind: kind, defaultValue: nil, allowed: allowed, pattern: pattern, regex: matcher, sensitive: sensitive,
            location: node.location)
        if let d = node["default"] {
            switch ParameterValues.check(d, against: spec, env: env) {
            case .success(let v): spec.defaultValue = v
            case .failure(let msg):
                r.diagnostics.append(
                    .error(
                        "default of '\(name)' is invalid: \(msg)", detail: "make the default satisfy the parameter's own type, enum and pattern",
                        at: d.location))
            }
        }
        return spec
    }

    private func readResource(_ name: String, at keyLocation: SourceLocation, _ node: YAMLNode, _ r: inout DocumentReader) -> ResourceTemplate? {
        guard node.mapping != nil else {
            r.diagnostics.append(
                .error("resource '\(name)' must be a mapping", detail: "write `\(name): {type: aws..., properties: {...}}`", at: node.location))
            return nil
        }
        r.checkKeys(node, allowed: Self.resourceFields, what: "resource field")
        guard let type = r.requiredString("type", in: node, what: "a resource type such as aws.lb_target_group") else { return nil }
        guard let schema = schemas[type] else {
            r.diagnostics.append(
                .error(
                    "unknown resource type '\(type)'\(Suggest.didYouMean(type, in: schemas.keys))",
                    detail: "known types: \(schemas.keys.sorted().joined(separator: ", "))", at: node["type"]?.location ?? node.location))
            return nil
        }
        var properties: [String: ValueTemplate] = [:]
        var locations: [String: SourceLocation] = [:]
        let settable = schema.attributes.filter { $0.value.settable }.map(\.key).sorted()
        if let props = r.mapping("properties", in: node) {
            for (k, v) in props.mapping ?? [] {
                guard let attr = k.scalar else { continue }
                guard let a = schema.attributes[attr] else {
                    r.diagnostics.append(
                        .error(
                            "unknown attribute '\(attr)' for \(type)\(Suggest.didYouMean(attr, in: settable))",
                            detail: "attributes you can set: \(settable.joined(separator: ", "))", at: k.location))
                    continue
                }
                if !a.settable {
                    r.diagnostics.append(
                        .error(
                            "attribute '\(attr)' of \(type) is computed by the provider",
                            detail: "remove it; refer to it from other resources as ${\(name).\(attr)}", at: k.location))
                    continue
                }
                locations[attr] = v.location
                if let t = template(v, type: a.type, allowAuto: AllocationRules.autoAttributes(schema).contains(attr), &r) { properties[attr] = t }
            }
        }
        for (attr, a) in schema.attributes where a.required && properties[attr] == nil {
            r.diagnostics.append(
                .error(
                    "resource '\(name)' (\(type)) is missing required attribute '\(attr)'", detail: "add `\(attr):` under properties",
                    at: node["properties"]?.location ?? node.location))
        }
        var deps: [String] = []
        if let d = node["dependsOn"] {
            if let items = d.sequence {
                deps = items.compactMap(\.scalar)
            } else {
                r.diagnostics.append(.error("'dependsOn' must be a list of resource names", detail: "write `dependsOn: [backend]`", at: d.location))
            }
        }
        var wait: WaitSpec?
        if let w = node["wait"] {
            r.checkKeys(w, allowed: ["until", "timeout"], what: "wait field")
            let until = w["until"]?.scalar ?? ""
            if !schema.waitConditions.contains(until) {
                let known = schema.waitConditions.sorted()
                r.diagnostics.append(
                    .error(
                        "\(type) cannot wait until '\(until)'",
                        detail: known.isEmpty ? "remove `wait:`; this type is ready once applied" : "use one of: \(known.joined(separator: ", "))",
                        at: w.location))
            }
            var timeout = 600.0
            if let t = w["timeout"] {
                if let secs = t.scalar.flatMap(SpecDuration.seconds) {
                    timeout = secs
                } else {
                    r.diagnostics.append(
                        .error("invalid timeout '\(t.scalar ?? t.kindName)'", detail: "write a duration such as 90s, 10m or 1h", at: t.location))
                }
            }
            wait = WaitSpec(until: until, timeout: timeout)
        }
        var protect = false
        if let p = node["protect"] {
            if case .success(Value.bool(let b)) = NodeValues.typed(p, as: .bool) {
                protect = b
            } else {
                r.diagnostics.append(.error("'protect' must be true or false", at: p.location))
            }
        }
        var res = ResourceTemplate(
            name: name, type: type, properties: properties, propertyLocations: locations, dependencies: deps, wait: wait, protect: protect,
            location: keyLocation)
        if let w = node["when"] { res.when = parseWhen(w, &r) }
        if let d = node["deletion"] { res.deletion = DeletionPolicyReader.read(d, type: type, schema: schema, &r) }
        if let s = r.mapping("suspended", in: node) { res.suspendedProperties = suspendedProperties(s, type: type, schema: schema, &r) }
        return res
    }

    /// Compiles a property node: scalars are typed by the attribute, `${...}` become pieces.
    private func template(_ node: YAMLNode, type: AttributeType, allowAuto: Bool, _ r: inout DocumentReader) -> ValueTemplate? {
        switch node.kind {
        case .scalar(let s, _):
            if allowAuto && s == "auto" { return .literal(.string("auto")) }
            if TemplateParser.hasReference(s) {
                do {
                    return .interpolated(try TemplateParser.parse(s), location: node.location)
                } catch {
                    r.diagnostics.append(
                        .error(
                            "malformed reference in '\(s)'",
                            detail: "write references as ${name}, ${platform.input}, ${tenant.id} or ${resource.attribute}", at: node.location))
                    return nil
                }
            }
            switch NodeValues.typed(node, as: type) {
            case .success(let v): return .literal(v)
            case .failure(let msg):
                r.diagnostics.append(.error(msg.text, detail: "this attribute is \(type.withArticle)", at: node.location))
                return nil
            }
        case .sequence(let items):
            if type != .list && type != .any {
                r.diagnostics.append(.error("expected \(type.withArticle), found a list", at: node.location))
                return nil
            }
            return .list(items.compactMap { template($0, type: .any, allowAuto: false, &r) })
        case .mapping(let pairs):
            if allowAuto { return .literal(NodeValues.untyped(node)) }
            if type != .map && type != .any {
                r.diagnostics.append(.error("expected \(type.withArticle), found a mapping", at: node.location))
                return nil
            }
            var m: [String: ValueTemplate] = [:]
            for (k, v) in pairs { if let t = template(v, type: .any, allowAuto: false, &r) { m[k.scalar ?? ""] = t } }
            return .map(m)
        }
    }
}

/// Durations as specs write them: `90`, `90s`, `10m`, `1h`.
public enum SpecDuration {
    /// Seconds, or nil when `s` is not a duration.
    public static func parse(_ s: String) -> Double? { seconds(s) }

    static func seconds(_ s: String) -> Double? {
        guard let last = s.last else { return nil }
        let scale: Double
        var body = Substring(s)
        switch last {
        case "s":
            scale = 1
            body = body.dropLast()
        case "m":
            scale = 60
            body = body.dropLast()
        case "h":
            scale = 3600
            body = body.dropLast()
        default: scale = 1
        }
        guard let n = Double(body), n >= 0 else { return nil }
        return n * scale
    }
}

extension BlueprintReader {
    /// A resource's `suspended:` mapping: settable attributes with literal values (no
    /// references), used in place of its properties while the tenant is suspended.
    func suspendedProperties(_ node: YAMLNode, type: String, schema: ResourceSchema, _ r: inout DocumentReader) -> [String: ValueTemplate] {
        var out: [String: ValueTemplate] = [:]
        let settable = schema.attributes.filter { $0.value.settable }.map(\.key).sorted()
        for (k, v) in node.mapping ?? [] {
            guard let attr = k.scalar else { continue }
            guard let a = schema.attributes[attr], a.settable else {
                r.diagnostics.append(
                    .error(
                        "unknown attribute '\(attr)' for \(type) under suspended:\(Suggest.didYouMean(attr, in: settable))",
                        detail: "attributes you can set: \(settable.joined(separator: ", "))", at: k.location))
                continue
            }
            if let text = v.scalar, TemplateParser.hasReference(text) {
                r.diagnostics.append(
                    .error(
                        "a suspended: value cannot refer to anything (${...})",
                        detail: "give the value a suspended tenant's '\(attr)' takes, e.g. `desiredCount: 0`", at: v.location))
                continue
            }
            switch NodeValues.typed(v, as: a.type) {
            case .success(let value): out[attr] = .literal(value)
            case .failure(let m): r.diagnostics.append(.error("suspended: '\(attr)': \(m.text)", at: v.location))
            }
        }
        return out
    }
}
