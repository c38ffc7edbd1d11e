import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A parsed XML element: name (without namespace prefix), text and children, in order.
public struct XMLNode: Sendable, Hashable {
    public var name: String
    public var text: String
    public var children: [XMLNode]

    public init(name: String, text: String = "", children: [XMLNode] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child with this name.
    public subscript(_ child: String) -> XMLNode? { children.first { $0.name == child } }

    /// Every child with this name.
    public func all(_ child: String) -> [XMLNode] { children.filter { $0.name == child } }

    /// Follows a path of child names (`node.at("Rules", "member")`).
    public func at(_ path: String...) -> XMLNode? {
        var node: XMLNode? = self
        for p in path { node = node?[p] }
        return node
    }

    /// The text of the child at a path, or nil when it is absent.
    public func string(_ path: String...) -> String? {
        var node: XMLNode? = self
        for p in path { node = node?[p] }
        return node?.text
    }

    /// The first descendant (depth first, self included) with this name.
    public func first(named target: String) -> XMLNode? {
        if name == target { return self }
        for c in children { if let f = c.first(named: target) { return f } }
        return nil
    }

    /// The `member` (Query protocol) or other list entries under the child at `path`.
    public func members(_ path: String..., item: String = "member") -> [XMLNode] {
        var node: XMLNode? = self
        for p in path { node = node?[p] }
        return node?.all(item) ?? []
    }
}

/// Reads a document into an `XMLNode` tree with FoundationXML's XMLParser.
public enum XMLReader {
    /// The root element, or nil when the data is not well-formed XML.
    public static func parse(_ data: Data) -> XMLNode? {
        guard !data.isEmpty else { return nil }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        guard parser.parse() else { return nil }
        return builder.root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            stack.append(XMLNode(name: local))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard var node = stack.popLast() else { return }
            if !node.children.isEmpty { node.text = node.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
        }
    }
}

/// Builds small XML request bodies (REST/XML protocols).
public enum XMLWriter {
    /// Escapes `& < > " '`.
    public static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// `<name>escaped text</name>`.
    public static func element(_ name: String, _ text: String) -> String { "<\(name)>\(escape(text))</\(name)>" }
}
