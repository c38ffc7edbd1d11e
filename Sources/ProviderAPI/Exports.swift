import Foundation

/// What happens to a resource when its tenant is destroyed or removed, or the blueprint stops
/// having it: CloudFormation's `DeletionPolicy`. Written `deletion:` on a blueprint resource.
public enum DeletionPolicy: String, Sendable, Hashable, CaseIterable, Codable {
    /// The resource is deleted (the default).
    case delete
    /// The resource is forgotten: removed from state, left in the cloud.
    case retain
    /// The resource's data is exported (`ExportingProvider`) to the platform's `exports:` place,
    /// and the resource is deleted only once the export landed.
    case snapshot
}

/// Asks for a copy of the data one recorded resource holds, before it is deleted.
public struct ExportRequest: Sendable {
    /// The resource as recorded.
    public var resource: ResourceObject
    public var identity: ResourceIdentity
    public init(resource: ResourceObject, identity: ResourceIdentity) {
        self.resource = resource
        self.identity = identity
    }
}

/// The exported bytes (in the format the type's schema names in `ResourceSchema.exportFormat`),
/// or diagnostics saying why there are none. An export with errors stops the resource's delete.
public struct ExportResponse: Sendable {
    public var data: Data
    public var diagnostics: [ProviderDiagnostic]
    public init(data: Data, diagnostics: [ProviderDiagnostic] = []) {
        self.data = data
        self.diagnostics = diagnostics
    }
}

/// A provider that can export the data of some of its types (those whose schema sets
/// `exportFormat`) before they are deleted: a PostgreSQL schema as a `pg_dump`, a DynamoDB
/// item as JSON. The engine stores the bytes where the platform's `exports:` says, records
/// their location and SHA-256 in the tenant's state, and only then sends the delete.
public protocol ExportingProvider: Provider {
    /// The data of one resource. Must not change the resource.
    func export(_ request: ExportRequest) async -> ExportResponse
}
