import ProviderAPI

/// A position in a spec file (1-based line and column).
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A problem found while reading specs, planning or applying, as a value (severity, summary,
/// detail, where). Every error summary says what is wrong; the detail says what to do.
///
/// Why two diagnostic types: providers depend only on ProviderAPI and speak
/// `ProviderDiagnostic` (attribute, retryable, provider code), which knows nothing of spec files
/// or tenants. The engine turns each into this type, adding what only it knows: the resource
/// address and the file:line:col of the property the attribute came from. One type would make
/// every provider, plugins included, depend on the spec reader's source positions.
public struct Diagnostic: Sendable, Hashable, Error, CustomStringConvertible {
    public var severity: Severity
    public var summary: String
    public var detail: String
    public var location: SourceLocation?
    /// The resource address the problem is about, when there is one.
    public var address: String?
    /// The input at fault, when a provider named one (its diagnostic's `attribute`).
    public var attribute: String?
    /// The provider's code for the problem (e.g. `ConditionalCheckFailedException`), when it gave one.
    public var code: String?

    public init(_ severity: Severity, _ summary: String, detail: String = "", at location: SourceLocation? = nil, address: String? = nil) {
        self.severity = severity
        self.summary = summary
        self.detail = detail
        self.location = location
        self.address = address
    }

    /// An error at a location.
    public static func error(_ summary: String, detail: String = "", at location: SourceLocation? = nil, address: String? = nil) -> Diagnostic {
        Diagnostic(.error, summary, detail: detail, at: location, address: address)
    }

    /// A warning at a location.
    public static func warning(_ summary: String, detail: String = "", at location: SourceLocation? = nil, address: String? = nil) -> Diagnostic {
        Diagnostic(.warning, summary, detail: detail, at: location, address: address)
    }

    /// `file:line:col: error: summary` (plus the detail on the next line), as compilers print.
    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += "\(severity.rawValue): "
        if let address { s += "\(address): " }
        s += summary + providerTags
        if !detail.isEmpty { s += "\n  " + detail.replacingOccurrences(of: "\n", with: "\n  ") }
        return s
    }

    /// ` [attribute: name, code: InvalidInput]` when a provider named either; else empty.
    public var providerTags: String {
        let tags = [attribute.map { "attribute: \($0)" }, code.map { "code: \($0)" }].compactMap { $0 }
        return tags.isEmpty ? "" : " [" + tags.joined(separator: ", ") + "]"
    }

    /// This diagnostic with a provider diagnostic's attribute and code.
    public func naming(_ from: ProviderDiagnostic?) -> Diagnostic {
        var d = self
        d.attribute = from?.attribute ?? attribute
        d.code = from?.code ?? code
        return d
    }
}

/// Diagnostics collected over a run; all of them are reported together.
public struct Diagnostics: Sendable, Hashable {
    public private(set) var items: [Diagnostic] = []
    public init(_ items: [Diagnostic] = []) { self.items = items }

    public mutating func append(_ d: Diagnostic) { items.append(d) }
    public mutating func append(contentsOf other: Diagnostics) { items.append(contentsOf: other.items) }
    public mutating func append(contentsOf other: [Diagnostic]) { items.append(contentsOf: other) }

    /// True when any diagnostic is an error: nothing may be applied.
    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { items.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { items.filter { $0.severity == .warning } }
    public var isEmpty: Bool { items.isEmpty }

    /// Sorted by file, line, column for stable output.
    public var sorted: [Diagnostic] {
        items.sorted { a, b in
            let la = a.location
            let lb = b.location
            if la?.file != lb?.file { return (la?.file ?? "") < (lb?.file ?? "") }
            if la?.line != lb?.line { return (la?.line ?? 0) < (lb?.line ?? 0) }
            if la?.column != lb?.column { return (la?.column ?? 0) < (lb?.column ?? 0) }
            return a.summary < b.summary
        }
    }
}

/// Suggests the closest known name for a misspelled one (`did you mean 'subdomain'?`).
public enum Suggest {
    /// The candidate within a small edit distance of `name`, if any.
    public static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        let limit = max(2, name.count / 3)
        for c in candidates {
            let d = distance(Array(name.lowercased().utf8), Array(c.lowercased().utf8))
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// ` (did you mean 'x'?)` or empty.
    public static func didYouMean(_ name: String, in candidates: some Sequence<String>) -> String {
        if let c = closest(to: name, in: candidates) { return " (did you mean '\(c)'?)" }
        return ""
    }

    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}

/// A one-line reason something failed, used where a `Result` needs an error.
public struct Problem: Error, Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(stringLiteral value: String) { text = value }
    public var description: String { text }
}
