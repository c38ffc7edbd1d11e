import ProviderAPI

/// Shared checks for the top of every spec document: it is a mapping, has the right
/// `apiVersion` and `kind`, and no unknown keys.
struct DocumentReader {
    let file: String
    let root: YAMLNode
    var diagnostics: Diagnostics = Diagnostics()

    init(file: String, root: YAMLNode) {
        self.file = file
        self.root = root
    }

    /// Checks `apiVersion: landlord/v1`, `kind`, and that every key is one of `allowed`.
    mutating func checkHeader(kind expected: String, allowed: [String]) -> Bool {
        guard let pairs = root.mapping else {
            diagnostics.append(
                .error(
                    "expected a mapping at the top of the file, found \(root.kindName)",
                    detail: "\(Article.indefinite(expected)) document starts with `apiVersion: landlord/v1` and `kind: \(expected)`",
                    at: root.location))
            return false
        }
        checkKeys(root, allowed: allowed, what: "field of \(Article.indefinite(expected))")
        if let v = root["apiVersion"] {
            if v.scalar != "landlord/v1" {
                diagnostics.append(
                    .error("unsupported apiVersion '\(v.scalar ?? v.kindName)'", detail: "use `apiVersion: landlord/v1`", at: v.location))
            }
        } else {
            diagnostics.append(
                .error(
                    "missing field 'apiVersion'", detail: "add `apiVersion: landlord/v1` at the top", at: pairs.first?.key.location ?? root.location))
        }
        if let k = root["kind"] {
            if k.scalar != expected {
                diagnostics.append(
                    .error(
                        "expected kind '\(expected)', found '\(k.scalar ?? k.kindName)'",
                        detail: "this file's place in the fleet says it is \(Article.indefinite(expected)); set `kind: \(expected)` or move the file",
                        at: k.location))
            }
        } else {
            diagnostics.append(.error("missing field 'kind'", detail: "add `kind: \(expected)`", at: root.location))
        }
        return true
    }

    /// Reports keys of a mapping that are not in `allowed`, with a did-you-mean.
    mutating func checkKeys(_ node: YAMLNode, allowed: [String], what: String) {
        guard let pairs = node.mapping else { return }
        var seen = Set<String>()
        for (k, _) in pairs {
            let name = k.scalar ?? ""
            if !seen.insert(name).inserted {
                diagnostics.append(.error("duplicate key '\(name)'", detail: "remove one of the two", at: k.location))
            }
            if !allowed.contains(name) {
                diagnostics.append(
                    .error(
                        "unknown \(what) '\(name)'\(Suggest.didYouMean(name, in: allowed))",
                        detail: "known: \(allowed.joined(separator: ", "))", at: k.location))
            }
        }
    }

    /// A required scalar string field.
    mutating func requiredString(_ key: String, in node: YAMLNode? = nil, what: String) -> String? {
        let parent = node ?? root
        guard let v = parent[key] else {
            diagnostics.append(.error("missing field '\(key)'", detail: "add `\(key):` (\(what))", at: parent.location))
            return nil
        }
        guard let s = v.scalar, !v.isNull else {
            diagnostics.append(.error("'\(key)' must be a string, found \(v.kindName)", detail: "set it to \(what)", at: v.location))
            return nil
        }
        return s
    }

    /// A setting that must be a mapping of known keys (`api:`, `drift:`, `updates:`, ...), with its
    /// keys checked against `allowed` (an unknown one is reported as an unknown `what`). Nil when it
    /// is absent, when it is empty (null) and `emptyIsAbsent`, or when it is not a mapping: that is
    /// reported as "'`name`' must be a mapping" with `example` as what to write.
    mutating func mapping(
        _ node: YAMLNode?, named name: String, example: String, allowed: [String], what: String, emptyIsAbsent: Bool = true
    ) -> YAMLNode? {
        guard let node, !(emptyIsAbsent && node.isNull) else { return nil }
        guard node.mapping != nil else {
            diagnostics.append(.error("'\(name)' must be a mapping", detail: example, at: node.location))
            return nil
        }
        checkKeys(node, allowed: allowed, what: what)
        return node
    }

    /// The mapping under `key`, reporting a wrong shape; nil when absent.
    mutating func mapping(_ key: String, in node: YAMLNode? = nil) -> YAMLNode? {
        guard let v = (node ?? root)[key], !v.isNull else { return nil }
        guard v.mapping != nil else {
            diagnostics.append(
                .error(
                    "'\(key)' must be a mapping, found \(v.kindName)", detail: "write it as `\(key): {name: value, ...}` or an indented block",
                    at: v.location))
            return nil
        }
        return v
    }
}
