import Foundation
import LandlordCore
import ProviderAPI

/// A requested tenant turned into a tenant document: the YAML text of `tenants/ID.yaml`, read
/// back through the engine's spec reader so the answer carries the diagnostics `landlord
/// validate` would give that file (named by the request's fields, ``requestDiagnostics``).
public enum TenantDocument {
    /// The largest request body accepted (413 beyond).
    public static let maxBody = 1_048_576
    /// A DNS-safe id (`t-` and 12 lowercase letters and digits).
    static func generateID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "t-" + String((0..<12).map { _ in alphabet.randomElement()! })
    }

    /// The tenant file's text.
    static func yaml(id: String, blueprint: String, parameters: [String: Value]) -> String {
        var s = "apiVersion: landlord/v1\nkind: Tenant\nid: \(quoted(id))\nblueprint: \(quoted(blueprint))\n"
        if parameters.isEmpty {
            s += "parameters: {}\n"
        } else {
            s += "parameters:\n"
            for k in parameters.keys.sorted() { s += "  \(quoted(k)): \(flow(parameters[k]!))\n" }
        }
        return s
    }

    /// The diagnostics of a tenant file made by ``yaml(id:blueprint:parameters:)`` from a
    /// request, in the request's terms: each names the field its line holds (`id`,
    /// `blueprint`, `parameters.NAME`) instead of the generated file's line and column, which
    /// the caller never saw (`parameters.replicas: expected an integer, found 'two'`).
    static func requestDiagnostics(_ items: [Diagnostic], file: String, parameters: [String: Value]) -> [DiagnosticBody] {
        let keys = parameters.keys.sorted()
        return items.map { d in
            var body = DiagnosticBody(d)
            guard let location = d.location, location.file == file else { return body }
            let line = location.line
            let field: String? =
                switch line {
                case 3: "id"
                case 4: "blueprint"
                case 5: "parameters"
                case 6..<(6 + keys.count): "parameters." + keys[line - 6]
                default: nil
                }
            body.file = nil
            body.line = nil
            body.column = nil
            if let field {
                body.parameter = field
                body.message = "\(field): \(body.message)"
            }
            return body
        }
    }

    /// The file of a tenant awaiting approval: the document with `approval: pending` as its
    /// last line (so every other line keeps its number in diagnostics).
    static func pending(_ document: String) -> String {
        (document.hasSuffix("\n") || document.isEmpty ? document : document + "\n") + "approval: pending\n"
    }

    /// The document of an approved tenant: the file without its one `approval: pending` line
    /// (nil when the file has no such line at the top level, or more than one).
    static func approved(_ file: String) -> String? {
        var lines = file.split(separator: "\n", omittingEmptySubsequences: false)
        let marked = lines.indices.filter { i in
            lines[i].range(of: #"^approval:[ \t]*("pending"|'pending'|pending)[ \t]*(#.*)?\r?$"#, options: .regularExpression) != nil
        }
        guard marked.count == 1 else { return nil }
        lines.remove(at: marked[0])
        return lines.joined(separator: "\n")
    }

    /// A value in YAML flow style: strings always double-quoted (so they stay strings),
    /// numbers and booleans plain (so they are read as the parameter's type declares).
    static func flow(_ v: Value) -> String {
        switch v {
        case .null, .unknown, .deferred: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "null"
        case .string(let s): return quoted(s)
        case .list(let items): return "[" + items.map(flow).joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.keys.sorted().map { "\(quoted($0)): \(flow(m[$0]!))" }.joined(separator: ", ") + "}"
        case .sensitive(let inner): return flow(inner)
        }
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let v = u.value
                if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF {
                    out += String(format: "\\u%04X", v)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func readsEnvironment(_ v: Value) -> Bool {
        switch v {
        case .string(let s): return s.contains("${env.")
        case .list(let l): return l.contains(where: readsEnvironment)
        case .map(let m): return m.values.contains(where: readsEnvironment)
        default: return false
        }
    }

    /// A value as the API shows it: sensitive parts as `(sensitive)`, unknown ones as null.
    static func shown(_ v: Value) -> Value {
        switch v {
        case .sensitive: return .string("(sensitive)")
        case .unknown, .deferred: return .null
        case .list(let l): return .list(l.map(shown))
        case .map(let m): return .map(m.mapValues(shown))
        default: return v
        }
    }
}
