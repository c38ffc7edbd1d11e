import AWSClient
import Foundation
import ProviderAPI

/// The resource name part of an address `TENANT/NAME`.
func resourceName(_ identity: ResourceIdentity) -> String {
    identity.address.split(separator: "/").last.map(String.init) ?? identity.address
}

/// True when `tags` carry exactly this identity's address and platform.
func tagsMatch(_ tags: [String: String], _ identity: ResourceIdentity) -> Bool {
    tags[LandlordTag.address] == identity.address && tags[LandlordTag.platform] == identity.platform
}

/// `[{key|Key, value|Value}]` from a tag map.
func tagList(_ tags: [String: String], keyName: String = "key", valueName: String = "value") -> Value {
    .list(tags.sorted { $0.key < $1.key }.map { .map([keyName: .string($0.key), valueName: .string($0.value)]) })
}

/// A tag map from `[{key, value}]` (either capitalisation).
func tagMap(_ list: Value?) -> [String: String] {
    var out: [String: String] = [:]
    for item in list?.listValue ?? [] {
        let m = item.mapValue ?? [:]
        if let k = (m["key"] ?? m["Key"])?.stringValue { out[k] = (m["value"] ?? m["Value"])?.stringValue ?? "" }
    }
    return out
}
