import Foundation
import LandlordCore
import Logging
import ProviderAPI
import Synchronization

/// How the service writes its log to stderr: `text`, a line a person reads, or `json`, one JSON
/// object a line for a log shipper. Every line has a time, a level and a message; metadata
/// (the request id `hb.request.id`, the `tenant`, a request's `method`, `path`, `status` and
/// `duration_ms`) follows as `key=value` pairs, or as members of the object.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// Makes every `Logger` of the process write lines of this format to stderr (once per process).
    public func bootstrap(level: Logger.Level = .info) {
        let format = self
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
    }
}

/// A swift-log handler writing one line an entry to stderr, in a ``LogFormat``.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: LogFormat

    /// A handler for loggers labelled `label`.
    public init(label: String, format: LogFormat) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let line = Self.line(format: format, at: Date(), level: event.level, message: "\(event.message)", metadata: all)
        Self.stderr.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Lines of concurrent loggers never interleave.
    private static let stderr = Mutex(())

    /// One entry as a line (without its newline).
    public static func line(format: LogFormat, at date: Date, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let time = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .json:
            var object: [String: Value] = ["time": .string(time), "level": .string(level.rawValue), "message": .string(message)]
            for (key, value) in metadata where object[key] == nil { object[key] = json(value) }
            return JSON.string(.map(object), sortedKeys: true)
        case .text:
            let pairs = metadata.keys.sorted().map { key in "\(key)=\(text(metadata[key]!))" }
            return ([time, level.rawValue, message] + pairs).joined(separator: " ")
        }
    }

    private static func json(_ value: Logger.MetadataValue) -> Value {
        switch value {
        case .string(let s): return .string(s)
        case .stringConvertible(let c):
            if let i = c as? Int { return .int(i) }
            if let d = c as? Double { return .double(d) }
            if let b = c as? Bool { return .bool(b) }
            return .string(c.description)
        case .array(let a): return .list(a.map(json))
        case .dictionary(let d): return .map(d.mapValues(json))
        }
    }

    private static func text(_ value: Logger.MetadataValue) -> String {
        let s = "\(value)"
        return s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? JSON.string(.string(s)) : s
    }
}
