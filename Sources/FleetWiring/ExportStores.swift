import AWSClient
import Foundation
import LandlordBasics
import LandlordCore

/// `exports: {directory: PATH}`: each export a file under PATH (relative to the fleet's
/// directory), written atomically and fsynced before its location is recorded.
public struct DirectoryExportStore: ExportStore {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    public func store(_ data: Data, name: String) async throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try AtomicFile.makeDirectory((path as NSString).deletingLastPathComponent, tightenExisting: false)
        try AtomicFile.write([UInt8](data), to: path, durable: true)
        return path
    }
}

/// `exports: {s3: {bucket, prefix}}`: each export an object `PREFIX/NAME` (NAME carries the time
/// to the millisecond, so exports do not overwrite each other). S3 answers a PUT once it is durable.
public struct S3ExportStore: ExportStore {
    public let client: AWSClient
    public let bucket: String
    public let prefix: String

    public func store(_ data: Data, name: String) async throws -> String {
        let key = prefix.isEmpty ? name : prefix + "/" + name
        try await client.s3PutObject(bucket: bucket, key: key, body: data, contentType: "application/octet-stream")
        return "s3://\(bucket)/\(key)"
    }
}

/// A store that fails every export with the reason it could not be set up (no credentials for
/// the bucket): a snapshot delete then fails and deletes nothing, naming the reason.
struct UnusableExportStore: ExportStore {
    let reason: String
    func store(_ data: Data, name: String) async throws -> String { throw ExportSetupError(message: reason) }
}

struct ExportSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension FleetWiring {
    /// The export store platform.yaml's `exports:` names, nil when it names none.
    public static func exportStore(_ fleet: Fleet, root: URL, environment: [String: String]) -> (any ExportStore)? {
        switch fleet.platform.exports {
        case nil: return nil
        case .directory(let path):
            let full = path.hasPrefix("/") ? path : root.appendingPathComponent(path).path
            return DirectoryExportStore(directory: full)
        case .s3(let bucket, let prefix):
            let region = fleet.platform.providerSettings("aws")["region"]?.stringValue
            do {
                let client = AWSClient(configuration: try AWSConfiguration.resolve(region: region, environment: environment))
                return S3ExportStore(client: client, bucket: bucket, prefix: prefix)
            } catch {
                return UnusableExportStore(reason: "the exports bucket \(bucket) cannot be used: \(error)")
            }
        }
    }
}
