import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `deletion: snapshot` of an `aws.dynamodb_item`: the item as GetItem returns it (DynamoDB's
/// typed JSON), with its table: `{"TableName": ..., "Item": {...}}`, which
/// `aws dynamodb put-item --cli-input-json file://EXPORT` writes back.
extension AWSProvider: ExportingProvider {
    public func export(_ request: ExportRequest) async -> ExportResponse {
        let r = request.resource
        switch handler(r.type) {
        case .failure(let d): return ExportResponse(data: Data(), diagnostics: [d])
        case .success(let h):
            guard let items = h as? DynamoItems else {
                return ExportResponse(data: Data(), diagnostics: [.error("\(r.type) cannot be exported", detail: "only aws.dynamodb_item")])
            }
            do {
                let t = try items.target(Inputs(r.attributes))
                let key = Value.map(t.key.mapValues(DynamoItems.encode))
                let out = try await items.client.call(.dynamodb, "GetItem", ["TableName": .string(t.table), "Key": key, "ConsistentRead": true])
                guard let item = out["Item"], item.mapValue != nil else {
                    return ExportResponse(
                        data: Data(), diagnostics: [.error("\(r.id) does not exist", detail: "GetItem found no item to export")])
                }
                let doc: Value = .map(["TableName": .string(t.table), "Item": item])
                return ExportResponse(data: Data(JSON.serialize(doc, sortedKeys: true, pretty: true)))
            } catch {
                return ExportResponse(data: Data(), diagnostics: [diagnostic(error, action: "export", type: r.type, address: r.id)])
            }
        }
    }
}
