import AWSClient
import Foundation
import ProviderAPI

/// A problem with a request's inputs, raised before any call is made.
struct InputError: Error {
    var attribute: String
    var message: String
}

/// Typed access to an apply request's inputs (sensitive markers removed for sending).
struct Inputs {
    let values: [String: Value]
    init(_ values: [String: Value]) { self.values = values.mapValues(\.revealed) }

    func has(_ key: String) -> Bool {
        guard let v = values[key] else { return false }
        return v != .null
    }

    func string(_ key: String) throws -> String {
        guard let s = values[key]?.stringValue ?? values[key].flatMap({ $0.intValue.map(String.init) }), !s.isEmpty else {
            throw InputError(attribute: key, message: "'\(key)' is required and must be a non-empty string")
        }
        return s
    }

    func optionalString(_ key: String) -> String? {
        guard let s = values[key]?.stringValue, !s.isEmpty else { return nil }
        return s
    }

    func int(_ key: String) throws -> Int {
        guard let i = values[key]?.intValue else { throw InputError(attribute: key, message: "'\(key)' is required and must be an integer") }
        return i
    }

    func optionalInt(_ key: String) -> Int? { values[key]?.intValue }
    func optionalBool(_ key: String) -> Bool? { values[key]?.boolValue }
    func strings(_ key: String) -> [String] { values[key]?.listValue?.compactMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? [] }
    func map(_ key: String) -> [String: Value]? { values[key]?.mapValue }
}

/// Query-protocol parameter building (`Tags.member.1.Key`).
struct QueryParams {
    var values: [String: String] = [:]
    subscript(_ key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }
    mutating func tags(_ tags: [String: String], prefix: String = "Tags.member") {
        for (i, (k, v)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            values["\(prefix).\(i + 1).Key"] = k
            values["\(prefix).\(i + 1).Value"] = v
        }
    }
    mutating func list(_ prefix: String, _ items: [String]) {
        for (i, item) in items.enumerated() { values["\(prefix).\(i + 1)"] = item }
    }
}
