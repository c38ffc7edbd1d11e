import CYAML

/// Reads YAML text through libyaml's event stream into `YAMLNode`s.
///
/// Aliases are expanded under a budget (total nodes and nesting depth), so an alias bomb or
/// absurdly deep nesting is a diagnostic rather than an out-of-memory.
public struct YAMLReader: Sendable {
    /// Most nodes one document may expand to, aliases included.
    public var maxNodes: Int
    /// Deepest nesting of collections.
    public var maxDepth: Int

    public init(maxNodes: Int = 200_000, maxDepth: Int = 64) {
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
    }

    private final class Frame {
        var isMapping: Bool
        var location: SourceLocation
        var anchor: String?
        var items: [YAMLNode] = []
        var size = 1
        init(isMapping: Bool, location: SourceLocation, anchor: String?) {
            self.isMapping = isMapping
            self.location = location
            self.anchor = anchor
        }
    }

    /// Parses one YAML document. An empty file is an empty mapping. Errors carry file:line:col.
    public func read(_ text: String, file: String) -> Result<YAMLNode, Diagnostic> {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(.error("could not start the YAML parser", at: SourceLocation(file: file, line: 1, column: 1)))
        }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }
        // Safe: libyaml reads the buffer only inside this closure (the parser is deleted by the
        // defer above only after it returns), and `bytes` is never empty.
        return bytes.withUnsafeBufferPointer { buf -> Result<YAMLNode, Diagnostic> in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            return run(&parser, file: file)
        }
    }

    private func run(_ parser: inout yaml_parser_t, file: String) -> Result<YAMLNode, Diagnostic> {
        var stack: [Frame] = []
        var anchors: [String: (node: YAMLNode, size: Int)] = [:]
        var root: YAMLNode?
        var total = 0
        var documents = 0

        func loc(_ m: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(m.line) + 1, column: Int(m.column) + 1)
        }
        func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            // Safe: libyaml's anchor/tag strings are NUL-terminated and live until the event is deleted.
            guard let p else { return nil }
            return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
        }
        func add(_ node: YAMLNode, size: Int) {
            if let top = stack.last {
                top.items.append(node)
                top.size += size
            } else {
                root = node
            }
        }

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
                var summary = "malformed YAML: \(problem)"
                if let ctx = parser.context.map({ String(cString: $0) }) { summary += " " + ctx }
                return .failure(
                    .error(
                        summary, detail: "fix the YAML syntax at this position (indentation, a missing ':' or an unclosed quote or bracket)",
                        at: loc(parser.problem_mark)))
            }
            defer { yaml_event_delete(&event) }
            let at = loc(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return .success(root ?? YAMLNode(.mapping([]), at: SourceLocation(file: file, line: 1, column: 1)))
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    return .failure(
                        .error("more than one YAML document in this file", detail: "put each tenant, blueprint or platform in its own file", at: at))
                }
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                // Safe: libyaml gives value/length of the current event, copied out before it is deleted.
                let text = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(s.length)), as: UTF8.self) } ?? ""
                let quoted =
                    s.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || s.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                    || s.style == YAML_LITERAL_SCALAR_STYLE || s.style == YAML_FOLDED_SCALAR_STYLE
                let node = YAMLNode(.scalar(text, quoted: quoted), at: at)
                total += 1
                if total > maxNodes { return .failure(budget(at)) }
                if let a = string(s.anchor) { anchors[a] = (node, 1) }
                add(node, size: 1)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                if stack.count >= maxDepth {
                    return .failure(
                        .error("YAML nested deeper than \(maxDepth) levels", detail: "flatten this structure; specs never need this depth", at: at))
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = isMapping ? string(event.data.mapping_start.anchor) : string(event.data.sequence_start.anchor)
                stack.append(Frame(isMapping: isMapping, location: at, anchor: anchor))
                total += 1
                if total > maxNodes { return .failure(budget(at)) }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                let node: YAMLNode
                if frame.isMapping {
                    var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                    pairs.reserveCapacity(frame.items.count / 2)
                    var i = 0
                    while i + 1 < frame.items.count {
                        pairs.append((frame.items[i], frame.items[i + 1]))
                        i += 2
                    }
                    node = YAMLNode(.mapping(pairs), at: frame.location)
                } else {
                    node = YAMLNode(.sequence(frame.items), at: frame.location)
                }
                if let a = frame.anchor { anchors[a] = (node, frame.size) }
                add(node, size: frame.size)
            case YAML_ALIAS_EVENT:
                guard let name = string(event.data.alias.anchor), let target = anchors[name] else {
                    return .failure(.error("unknown YAML alias", detail: "define the anchor (&name) before using it (*name)", at: at))
                }
                total += target.size
                if total > maxNodes { return .failure(budget(at)) }
                var copy = target.node
                copy.location = at
                add(copy, size: target.size)
            default:
                break
            }
        }
    }

    private func budget(_ at: SourceLocation) -> Diagnostic {
        .error(
            "YAML document expands to more than \(maxNodes) nodes (an alias bomb?)",
            detail: "refused without expanding it; remove the repeated aliases", at: at)
    }
}
