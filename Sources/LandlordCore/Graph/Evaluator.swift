import ProviderAPI

/// Fills a tenant's inputs into a blueprint's templates. Platform inputs, `tenant.id` and
/// parameters are always known; a reference to another resource's attribute resolves when that
/// attribute is known at plan time and otherwise stays a deferred reference, resolved by the
/// engine once the resource is applied.
struct Evaluator {
    let platform: PlatformSpec
    let tenant: TenantSpec
    /// Attributes of the tenant's resources planned so far; `.unknown` = known after apply.
    var known: [String: [String: Value]] = [:]
    /// The tenant's numbers already allocated, by sequence.
    var numbers: [String: Int] = [:]

    /// The pseudo-resource deferred sequence numbers refer to until apply allocates them.
    static let sequenceResource = "$seq"

    struct Failure: Error { var message: String }

    func evaluate(_ t: ValueTemplate) throws(Failure) -> Value {
        switch t {
        case .literal(let v): return v
        case .list(let items):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for i in items { out.append(try evaluate(i)) }
            return .list(out)
        case .map(let m):
            var out: [String: Value] = [:]
            for (k, v) in m { out[k] = try evaluate(v) }
            return .map(out)
        case .interpolated(let pieces, _):
            if pieces.count == 1, case .ref(let r, let src) = pieces[0] { return try resolve(r, source: src) }
            var parts: [TemplatePart] = []
            var text = ""
            var sensitive = false
            var deferred = false
            for p in pieces {
                switch p {
                case .text(let s): text += s
                case .ref(let r, let src):
                    var v = try resolve(r, source: src)
                    if case .sensitive(let inner) = v {
                        sensitive = true
                        v = inner
                    }
                    switch v {
                    case .deferred(let inner):
                        deferred = true
                        for ip in inner {
                            if case .literal(let s) = ip {
                                text += s
                            } else {
                                if !text.isEmpty {
                                    parts.append(.literal(text))
                                    text = ""
                                }
                                parts.append(ip)
                            }
                        }
                    case .list, .map:
                        throw Failure(message: "${\(src)} is a \(v.listValue != nil ? "list" : "map") and cannot be placed inside a string")
                    default: text += v.interpolationText
                    }
                }
            }
            let result: Value
            if deferred {
                if !text.isEmpty { parts.append(.literal(text)) }
                result = .deferred(parts)
            } else {
                result = .string(text)
            }
            return sensitive ? .sensitive(result) : result
        }
    }

    func resolve(_ ref: Reference, source: String) throws(Failure) -> Value {
        switch ref {
        case .tenantID: return .string(tenant.id)
        case .tenantSuspended: return .bool(tenant.suspended)
        case .parameter(let p):
            guard let v = tenant.parameters[p] else { throw Failure(message: "parameter '\(p)' has no value") }
            return v
        case .platform(let path):
            guard let first = path.first, let root = platform.inputs[first] else {
                throw Failure(message: "platform input '\(path.first ?? "")' is not defined in \(platform.file)")
            }
            return try walk(root, Array(path.dropFirst()), source: source)
        case .sequence(let name):
            if let n = numbers[name] { return .int(n) }
            return .deferred([.reference(resource: Self.sequenceResource, path: [name])])
        case .resource(let name, let path):
            guard let attrs = known[name] else { throw Failure(message: "resource '\(name)' is not planned before its dependents") }
            let attr = path[0]
            guard let v = attrs[attr] else { return .null }
            if !v.isKnown {
                if case .deferred = v, path.count == 1 { return v }
                return .deferred([.reference(resource: name, path: path)])
            }
            return try walk(v, Array(path.dropFirst()), source: source)
        }
    }

    private func walk(_ root: Value, _ path: [String], source: String) throws(Failure) -> Value {
        guard let v = root.at(path) else { throw Failure(message: "${\(source)}: no '\(path.joined(separator: "."))' in that value") }
        return v
    }
}

/// Resolves the deferred parts of planned inputs once the resources they name are applied.
public enum DeferredResolver {
    /// Replaces every deferred reference with the attribute from `resources`; fails naming the
    /// first reference that still has no value.
    public static func resolve(_ v: Value, _ lookup: (String, [String]) -> Value?) -> Result<Value, Problem> {
        switch v {
        case .deferred(let parts):
            if parts.count == 1, case .reference(let r, let p) = parts[0] {
                guard let found = lookup(r, p), found.isKnown else {
                    return .failure(Problem("${\(([r] + p).joined(separator: "."))} has no value yet"))
                }
                return .success(found)
            }
            var s = ""
            for part in parts {
                switch part {
                case .literal(let t): s += t
                case .reference(let r, let p):
                    guard let found = lookup(r, p), found.isKnown else {
                        return .failure(Problem("${\(([r] + p).joined(separator: "."))} has no value yet"))
                    }
                    s += found.interpolationText
                }
            }
            return .success(.string(s))
        case .list(let items):
            var out: [Value] = []
            for i in items {
                switch resolve(i, lookup) {
                case .success(let x): out.append(x)
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.list(out))
        case .map(let m):
            var out: [String: Value] = [:]
            for (k, i) in m {
                switch resolve(i, lookup) {
                case .success(let x): out[k] = x
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.map(out))
        case .sensitive(let inner): return resolve(inner, lookup).map { .sensitive($0) }
        default: return .success(v)
        }
    }
}
