import AWSSchema
import Foundation
import ProviderAPI

/// What the simulated cloud enforces, per type, as AWS does: unique target-group names,
/// unique rule priorities per listener, unique record name+type per zone, unique service names
/// per cluster, one item per table key, group and user names per pool, role names per account,
/// contact list names and one address per list; and which resources refer to which (a target group in
/// use by a rule or service cannot be deleted).
enum MockRules {
    typealias T = AWSResourceTypes

    static func str(_ r: MockResource, _ k: String) -> String { r.attributes[k]?.revealed.interpolationText ?? "" }

    /// Constraint keys a resource holds; two resources never hold the same one.
    static func uniqueKeys(_ r: MockResource) -> [String] {
        switch r.type {
        case T.targetGroup: return ["tg-name|" + str(r, "name")]
        case T.listenerRule: return ["priority|" + str(r, "listener") + "|" + str(r, "priority")]
        case T.route53Record: return ["record|" + recordKey(zone: str(r, "zoneId"), name: str(r, "name"), type: str(r, "type"))]
        case T.ecsService: return ["service|" + str(r, "cluster") + "|" + str(r, "name")]
        case T.dynamoItem: return ["item|" + r.id]
        case T.userGroup: return ["group|" + str(r, "userPoolId") + "|" + str(r, "name")]
        case T.user: return ["user|" + str(r, "userPoolId") + "|" + str(r, "username")]
        case T.iamRole: return ["role|" + str(r, "name").lowercased()]
        case T.contactList: return ["contact-list|" + str(r, "name")]
        case T.contact: return ["contact|" + str(r, "contactListName") + "|" + str(r, "email").lowercased()]
        case T.userPoolClient: return []
        default: return MockPostgres.uniqueKeys(r)
        }
    }

    /// Types deleted with the resource they belong to, as AWS does: a user pool's clients,
    /// groups and users; a contact list's contacts.
    static func deletedWithParent(_ type: String) -> Bool {
        [T.userPoolClient, T.userGroup, T.user, T.contact].contains(type)
    }

    /// Ids and ARNs a resource refers to (and so keeps from being deleted).
    static func references(_ r: MockResource) -> [String] {
        switch r.type {
        case T.listenerRule: return [str(r, "targetGroupArn")]
        case T.ecsService: return [str(r, "targetGroupArn"), str(r, "taskDefinition")].filter { !$0.isEmpty }
        case T.userPoolClient, T.userGroup, T.user: return [str(r, "userPoolId")]
        case T.contact: return [str(r, "contactListName")]
        default: return []
        }
    }

    /// Types whose id is derived from what they are (a record's zone+name+type, an item's
    /// key, a service's cluster+name, a task definition's family+revision), not drawn at random.
    static func idIsNatural(_ type: String) -> Bool {
        [T.route53Record, T.dynamoItem, T.ecsService, T.taskDefinition, T.userGroup, T.user, T.iamRole, T.contactList, T.contact].contains(type)
    }

    static func recordKey(zone: String, name: String, type: String) -> String {
        let n = name.hasSuffix(".") ? String(name.dropLast()) : name
        return zone + "|" + n.lowercased() + "|" + type.uppercased()
    }

    static func hex(_ n: Int, _ rng: inout SplitMix64) -> String {
        (0..<n).map { _ in String("0123456789abcdef".randomElement(using: &rng)!) }.joined()
    }

    static func alnum(_ n: Int, _ rng: inout SplitMix64, upper: Bool = false) -> String {
        let chars = upper ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz" : "abcdefghijklmnopqrstuvwxyz0123456789"
        return (0..<n).map { _ in String(chars.randomElement(using: &rng)!) }.joined()
    }
}

/// A small seeded random generator, so fault injection and ids repeat with the same seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
