import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.route53_record`: CNAME (and other plain) records and alias A records, through
/// ChangeResourceRecordSets: CREATE on create (never silently overwriting a record someone
/// else owns), UPSERT on update, DELETE with the record's current values on delete.
/// The id is `ZONE_NAME_TYPE`; records carry no tags and are found by that natural key.
struct Route53Records: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.route53Record

    struct Key {
        var zone: String
        var name: String  // fully qualified, with the trailing dot
        var type: String
        var id: String { "\(zone)_\(name.dropLast())_\(type)" }
    }

    static func zone(_ raw: String) -> String {
        raw.replacingOccurrences(of: "/hostedzone/", with: "")
    }

    static func fqdn(_ name: String) -> String { name.hasSuffix(".") ? name.lowercased() : name.lowercased() + "." }

    func key(_ inputs: Inputs) throws -> Key {
        Key(zone: Self.zone(try inputs.string("zoneId")), name: Self.fqdn(try inputs.string("name")), type: try inputs.string("type").uppercased())
    }

    /// The `<ResourceRecordSet>` for the inputs.
    func recordSet(_ key: Key, _ inputs: Inputs) throws -> String {
        var xml = "<ResourceRecordSet>" + XMLWriter.element("Name", key.name) + XMLWriter.element("Type", key.type)
        if let alias = inputs.map("aliasTarget") {
            let a = Inputs(alias)
            xml +=
                "<AliasTarget>" + XMLWriter.element("HostedZoneId", Self.zone(try a.string("zoneId")))
                + XMLWriter.element("DNSName", try a.string("dnsName"))
                + XMLWriter.element("EvaluateTargetHealth", (a.optionalBool("evaluateTargetHealth") ?? false) ? "true" : "false") + "</AliasTarget>"
        } else {
            let records = inputs.strings("records")
            guard !records.isEmpty else {
                throw InputError(
                    attribute: "records", message: "\(Article.indefinite(key.type)) record needs 'records' (or 'aliasTarget' for an alias A record)")
            }
            xml += XMLWriter.element("TTL", String(inputs.optionalInt("ttl") ?? 300)) + "<ResourceRecords>"
            xml += records.map { "<ResourceRecord>" + XMLWriter.element("Value", $0) + "</ResourceRecord>" }.joined()
            xml += "</ResourceRecords>"
        }
        return xml + "</ResourceRecordSet>"
    }

    /// One change, waited for until INSYNC as a batch is, so a record is resolvable when its
    /// dependents run. (A change still PENDING after `insyncTimeout` is left to propagate: the
    /// handler has no way to return the batch path's warning.)
    func change(_ zone: String, action: String, recordSet: String) async throws {
        let body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
            + "<ChangeBatch><Changes><Change>" + XMLWriter.element("Action", action) + recordSet
            + "</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
        let root = try await client.restXML(
            .route53, operation: "ChangeResourceRecordSets", method: "POST", path: "/2013-04-01/hostedzone/\(zone)/rrset", body: body
        ).root
        _ = try await awaitInSync(root, zone: zone)
    }

    func object(_ key: Key, attributes: [String: Value]) -> ResourceObject {
        var a = attributes
        a["fqdn"] = .string(key.name)
        return ResourceObject(type: Self.type, id: key.id, attributes: a)
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let key = try key(inputs)
        try await change(key.zone, action: "CREATE", recordSet: try recordSet(key, inputs))
        return object(key, attributes: request.inputs)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let key = try key(inputs)
        try await change(key.zone, action: "UPSERT", recordSet: try recordSet(key, inputs))
        return object(key, attributes: request.inputs)
    }

    func delete(_ prior: ResourceObject) async throws {
        let key = try key(Inputs(prior.attributes))
        // DELETE must name the record's current values exactly; read them first.
        guard let current = try await fetch(key) else { return }
        do {
            try await change(key.zone, action: "DELETE", recordSet: try recordSet(key, Inputs(current.attributes)))
        } catch let e as AWSError where e.code == "InvalidChangeBatch" && e.message.contains("not found") {
            return
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        try await fetch(try key(Inputs(resource.attributes)))
    }

    /// The record set with exactly this name and type, or nil.
    func fetch(_ key: Key) async throws -> ResourceObject? {
        guard
            let listed = try await unlessMissing(
                ["NoSuchHostedZone"],
                {
                    try await client.restXML(
                        .route53, operation: "ListResourceRecordSets", method: "GET", path: "/2013-04-01/hostedzone/\(key.zone)/rrset",
                        query: [("name", key.name), ("type", key.type), ("maxitems", "1")])
                })
        else { return nil }
        let root = listed.root
        guard let set = root?.members("ResourceRecordSets", item: "ResourceRecordSet").first,
            Self.fqdn(Self.unescape(set.string("Name") ?? "")) == key.name, set.string("Type") == key.type
        else { return nil }
        return object(key, set: set)
    }

    /// The resource for a listed `<ResourceRecordSet>` of `key`.
    func object(_ key: Key, set: XMLNode) -> ResourceObject {
        var a: [String: Value] = ["zoneId": .string(key.zone), "name": .string(String(key.name.dropLast())), "type": .string(key.type)]
        if let alias = set["AliasTarget"] {
            a["aliasTarget"] = .map([
                "zoneId": .string(alias.string("HostedZoneId") ?? ""), "dnsName": .string(alias.string("DNSName") ?? ""),
                "evaluateTargetHealth": .bool(alias.string("EvaluateTargetHealth") == "true"),
            ])
            a["ttl"] = .null
            a["records"] = .null
        } else {
            a["ttl"] = set.string("TTL").flatMap(Int.init).map(Value.int) ?? .null
            a["records"] = .list(set.members("ResourceRecords", item: "ResourceRecord").compactMap { $0.string("Value").map(Value.string) })
            a["aliasTarget"] = .null
        }
        return object(key, attributes: a)
    }

    /// Route53 returns `*` and some other characters as `\052`-style octal escapes.
    static func unescape(_ name: String) -> String {
        guard name.contains("\\") else { return name }
        var out = ""
        var chars = Array(name)[...]
        while let c = chars.popFirst() {
            if c == "\\", chars.count >= 3, let code = UInt8(String(chars.prefix(3)), radix: 8) {
                out.append(Character(Unicode.Scalar(code)))
                chars = chars.dropFirst(3)
            } else {
                out.append(c)
            }
        }
        return out
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        var inputs = request.inputs
        if let id = request.id {
            // ZONE_NAME_TYPE
            let parts = id.split(separator: "_")
            guard parts.count >= 3 else {
                throw InputError(attribute: "id", message: "a route53 record id is ZONE_NAME_TYPE, e.g. Z0123_acme.example.com_CNAME")
            }
            inputs = [
                "zoneId": .string(String(parts[0])), "name": .string(parts[1..<(parts.count - 1)].joined(separator: "_")),
                "type": .string(String(parts.last!)),
            ]
        }
        return try await fetch(try key(Inputs(inputs))).map { [$0] } ?? []
    }
}
