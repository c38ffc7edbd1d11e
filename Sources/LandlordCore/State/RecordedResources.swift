import Foundation
import ProviderAPI

/// A recorded resource as a refresh needs it: the object its provider is asked to read (its
/// inputs and outputs as one map, an input winning over an output of the same name, as
/// `ResourceState.object` has it) and its inputs, the attributes drift is checked on.
public struct RecordedResource: Sendable, Hashable {
    /// The resource's name in its tenant.
    public var name: String
    public var object: ResourceObject
    /// The inputs as they were read: a sorted list when read from a document's bytes (drift
    /// checks walk it), the state's own map when taken from a decoded document (shared with
    /// it, not copied: a refresh without a plan cache holds every document and this at once).
    var stored: Inputs

    enum Inputs: Sendable {
        case list([RecordedInput])
        case map([String: Value])
    }

    public init(name: String, object: ResourceObject, inputs: [RecordedInput]) {
        self.name = name
        self.object = object
        stored = .list(inputs)
    }

    /// A resource whose inputs are `inputs` (shared, not copied).
    public init(name: String, object: ResourceObject, inputs: [String: Value]) {
        self.name = name
        self.object = object
        stored = .map(inputs)
    }

    /// Its inputs, sorted by name.
    public var inputs: [RecordedInput] {
        get {
            switch stored {
            case .list(let l): return l
            case .map(let m): return m.sorted { $0.key < $1.key }.map { RecordedInput(key: $0.key, value: $0.value) }
            }
        }
        set { stored = .list(newValue) }
    }

    /// Whether a read differs from what is recorded: the resource is gone, or an input drifted
    /// (`Drift`, the planner's rule).
    public func drifted(_ now: ResourceObject?) -> Bool {
        guard let now else { return true }
        switch stored {
        case .list(let l): return l.contains { Drift.differs(now.attributes[$0.key], from: $0.value) }
        case .map(let m): return m.contains { Drift.differs(now.attributes[$0.key], from: $0.value) }
        }
    }

    public static func == (a: RecordedResource, b: RecordedResource) -> Bool {
        a.name == b.name && a.object == b.object && a.inputs == b.inputs
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(object)
        h.combine(inputs)
    }
}

/// One recorded input of a `RecordedResource`.
public struct RecordedInput: Sendable, Hashable {
    public var key: String
    public var value: Value

    public init(key: String, value: Value) {
        self.key = key
        self.value = value
    }
}

extension ResourceState {
    /// The resource as a refresh reads it.
    func recorded(name: String) -> RecordedResource {
        RecordedResource(name: name, object: object, inputs: inputs)
    }
}

extension TenantState {
    /// Its resources as a refresh reads them, by name.
    public var recordedResources: [RecordedResource] {
        resources.sorted { $0.key < $1.key }.map { $0.value.recorded(name: $0.key) }
    }

    /// The recorded resources of a document's bytes, by name. A refresh of ten thousand
    /// tenants needs only these, and building each resource's one map straight from the bytes
    /// costs a fraction of decoding the document (`decode`), which builds a map per object
    /// and then each resource's inputs and outputs merged again. A document this fast reader
    /// does not take as it is (another format version, a value unknown or deferred, anything
    /// out of shape) is decoded whole, so a damaged document fails as it always has.
    ///
    /// The fields a refresh does not read (lineage, status, pending creates) are not checked:
    /// use it for documents read whole before, as the plan cache's skipped tenants were (their
    /// stamp is the one their last clean plan read), and `decode` for any other.
    public static func recordedResources(_ bytes: [UInt8], cipher: StateCipher?, what: @autoclosure () -> String) throws -> [RecordedResource] {
        if let fast = try RecordedReader.read(bytes, cipher: cipher, what: what) { return fast }
        return try decode(bytes, cipher: cipher, what: what()).recordedResources
    }
}

/// Reads a document's resources (format version 2) without building the rest of it.
enum RecordedReader {
    /// One resource as read: its fields as they come (its outputs then join its inputs).
    struct Partial {
        var type: String?
        var id: String?
        var attributes: [String: Value] = [:]
        var inputs: [(key: String, value: Value)] = []
        var outputs: [String: Value] = [:]
    }

    /// The resources, or nil when the document needs the full reader. A sealed value that
    /// cannot be opened is the full reader's error, thrown as it would throw it.
    static func read(_ bytes: [UInt8], cipher: StateCipher?, what: () -> String) throws -> [RecordedResource]? {
        var version: Value = .null
        var marksJSON: Value?
        var partials: [String: Partial] = [:]
        do {
            try JSON.read(bytes) { r throws(JSON.ParseError) in
                try r.members { key, r throws(JSON.ParseError) in
                    switch key {
                    case "format_version": version = try r.value()
                    case "marks": marksJSON = try r.value()
                    case "resources":
                        try r.members { name, r throws(JSON.ParseError) in
                            var p = Partial()
                            try r.members { field, r throws(JSON.ParseError) in
                                switch field {
                                case "type": p.type = try r.value().stringValue
                                case "id": p.id = try r.value().stringValue
                                case "inputs":
                                    try r.members { k, r throws(JSON.ParseError) in
                                        let v = try r.value()
                                        p.attributes[k] = v
                                        p.inputs.append((k, v))
                                    }
                                case "outputs": try r.object(into: &p.outputs)
                                default: _ = try r.value()
                                }
                            }
                            // Outputs join the inputs' map (an input wins), in place.
                            for (k, v) in p.outputs where p.attributes[k] == nil { p.attributes[k] = v }
                            p.outputs = [:]
                            partials[name] = p
                        }
                    default: _ = try r.value()
                    }
                }
            }
        } catch {
            return nil
        }
        guard version == .int(2) else { return nil }
        let marks: DocumentMarks
        do { marks = try marksJSON.map { try DocumentMarks(json: $0) } ?? DocumentMarks() } catch { return nil }
        var out: [RecordedResource] = []
        out.reserveCapacity(partials.count)
        for (name, p) in partials.sorted(by: { $0.key < $1.key }) {
            guard let type = p.type, let id = p.id else { return nil }
            out.append(
                RecordedResource(name: name, object: ResourceObject(type: type, id: id, attributes: p.attributes), inputs: sortedInputs(p.inputs)))
        }
        guard marks.isEmpty else { return try applying(marks, to: out, cipher: cipher, what: what) }
        return out
    }

    /// Inputs in document order, sorted by name, the last of a repeated name kept as in a map
    /// (landlord writes them sorted, so this is one pass).
    static func sortedInputs(_ read: [(key: String, value: Value)]) -> [RecordedInput] {
        var inputs = read
        if !zip(inputs, inputs.dropFirst()).allSatisfy({ $0.key < $1.key }) {
            var last: [String: Value] = [:]
            for (k, v) in inputs { last[k] = v }
            inputs = last.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        return inputs.map { RecordedInput(key: $0.key, value: $0.value) }
    }

    /// Puts the marks on resources' attributes back (as `DocumentMarks.apply` does for the
    /// whole document); nil when a mark is one the full reader should handle.
    static func applying(_ marks: DocumentMarks, to resources: [RecordedResource], cipher: StateCipher?, what: () -> String) throws
        -> [RecordedResource]?
    {
        // A resource's unknown or deferred values are the full reader's (they are not in a
        // recorded resource's attributes after an apply; reading them is rare).
        let resourceMarks = { (p: [PathStep]) in p.first == .key("resources") }
        guard !marks.unknown.contains(where: resourceMarks), !marks.deferred.contains(where: { resourceMarks($0.path) }) else { return nil }
        var out = resources
        let index = Dictionary(uniqueKeysWithValues: resources.enumerated().map { ($0.element.name, $0.offset) })
        let keys = resources.map { $0.inputs.map(\.key) }
        // The attribute a mark falls on: resources.NAME.inputs|outputs.KEY... Anything else
        // under resources (a mark on an output an input of the same name shadows, a path to
        // no resource) is left to the full reader, which keeps it or says what is wrong.
        func place(_ p: [PathStep]) -> (resource: Int, path: ArraySlice<PathStep>)? {
            guard p.count >= 4, case .key(let name) = p[1], let i = index[name], case .key(let field) = p[2], case .key(let key) = p[3] else {
                return nil
            }
            if field == "inputs" || (field == "outputs" && !keys[i].contains(key)) { return (i, p[3...]) }
            return nil
        }
        // Changes a resource's attributes in place (taken out of `out` first, so not copied),
        // and its inputs with them.
        func change(_ i: Int, _ body: (inout Value) throws -> Bool) rethrows -> Bool {
            var attributes = Value.map(out[i].object.attributes)
            out[i].object.attributes = [:]
            let ok = try body(&attributes)
            guard ok, case .map(let m) = attributes else { return false }
            out[i].object.attributes = m
            out[i].inputs = keys[i].map { RecordedInput(key: $0, value: m[$0] ?? .null) }
            return true
        }
        for p in marks.sealed where resourceMarks(p) {
            guard let (i, path) = place(p) else { return nil }
            let opened = try change(i) { attributes in
                guard case .string(let text) = try? DocumentMarks.value(attributes, at: Array(path)) else { return false }
                guard let cipher else { throw StateCipher.missingKey(what()) }
                let value = try cipher.openSealed(text, what: what())
                DocumentMarks.update(&attributes, path) { _ in value }
                return true
            }
            guard opened else { return nil }
        }
        for p in (marks.sensitive + marks.sealed).sorted(by: { $0.count > $1.count }) where resourceMarks(p) {
            guard let (i, path) = place(p) else { return nil }
            let marked = change(i) { attributes in
                guard (try? DocumentMarks.value(attributes, at: Array(path))) != nil else { return false }
                DocumentMarks.update(&attributes, path) { .sensitive($0) }
                return true
            }
            guard marked else { return nil }
        }
        return out
    }
}
