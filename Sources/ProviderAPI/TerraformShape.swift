/// How a resource type appears in Terraform's JSON plan format (`landlord plan --format
/// terraform-json`), so that review tools written for Terraform (Checkov, OPA/conftest, Trivy,
/// Infracost) read Landlord's plans with the checks they already have.
///
/// A provider declares one for each of its types that a well-used Terraform provider also has
/// (`aws.lb_target_group` is hashicorp/aws's `aws_lb_target_group`), beside its schema; a type
/// without one is written as `landlord_<provider>_<type>` (``fallback(_:)``). The engine never
/// names a provider's types: the command line hands the renderer the shapes its providers declare.
public struct TerraformShape: Sendable {
    /// The Terraform resource type, e.g. `aws_lb_target_group`.
    public var type: String
    /// The Terraform provider's source address, e.g. `registry.terraform.io/hashicorp/aws`.
    public var providerName: String
    /// Where a Landlord attribute lands in the Terraform resource, as a Terraform path (strings
    /// for attribute names, integers for list indexes), for `replace_paths`; an attribute not
    /// listed lands at its snake_case name.
    public var paths: [String: [Value]]
    /// Landlord's attributes (which may hold `unknown`, `deferred` and `sensitive` values) in the
    /// Terraform resource's shape. Attributes it does not rename are kept, snake_cased.
    public var values: @Sendable ([String: Value]) -> [String: Value]
    /// Landlord attributes the type's schema declares sensitive: marked so before `values` runs,
    /// whether or not the plan marked them, so that they are never written in clear.
    public var sensitive: Set<String>

    /// Computed Landlord attributes (an ARN, an id): an in-place update keeps their recorded values.
    public var computed: Set<String>

    /// Landlord attributes renamed one to one in the Terraform resource (`mfa` is
    /// `mfa_configuration`): written once, read both ways. The plan export writes them under
    /// the Terraform name; adoption from Terraform state reads them back (``landlordValues(_:)``).
    public var names: [String: String]
    /// What ``landlordValues(_:)`` cannot get from `names` and snake_case alone: nested blocks and
    /// JSON strings read back into Landlord's attributes (the inverse of what `values` builds).
    public var reverse: (@Sendable ([String: Value]) -> [String: Value])?
    /// The Landlord id of a Terraform resource, when it is not its `id` attribute.
    public var landlordID: (@Sendable ([String: Value]) -> String?)?
    /// The type's Landlord attribute names by their snake_case names.
    let schemaNames: [String: String]

    /// A shape; `schema` (the type's) says which attributes are sensitive and which computed;
    /// `values` defaults to the attributes renamed by `names`, the rest snake_cased.
    public init(
        type: String, providerName: String, schema: ResourceSchema?, paths: [String: [Value]] = [:], names: [String: String] = [:],
        values: (@Sendable ([String: Value]) -> [String: Value])? = nil, reverse: (@Sendable ([String: Value]) -> [String: Value])? = nil,
        landlordID: (@Sendable ([String: Value]) -> String?)? = nil
    ) {
        self.type = type
        self.providerName = providerName
        self.names = names
        var paths = paths
        for (landlord, terraform) in names where paths[landlord] == nil { paths[landlord] = [.string(terraform)] }
        self.paths = paths
        self.sensitive = Set(schema?.attributes.filter(\.value.sensitive).map(\.key) ?? [])
        self.computed = Set(schema?.attributes.filter(\.value.computed).map(\.key) ?? [])
        self.reverse = reverse
        self.landlordID = landlordID
        var snake: [String: String] = [:]
        for name in (schema?.attributes ?? [:]).keys { snake[Self.snakeCase(name)] = name }
        schemaNames = snake
        if let values {
            self.values = values
        } else {
            let table = names.mapValues { Optional($0) }
            self.values = { TerraformShape.renamed($0, table) }
        }
    }

    /// Landlord's attributes of a Terraform resource (from a state file): the inverse of
    /// `values`, through `names`, the schema's snake_case names and `reverse`. Attributes the
    /// Landlord type does not have are left out.
    public func landlordValues(_ terraform: [String: Value]) -> [String: Value] {
        var back: [String: String] = [:]
        for (landlord, tf) in names { back[tf] = landlord }
        var out: [String: Value] = [:]
        for (k, v) in terraform where v != .null {
            if let n = back[k] ?? schemaNames[k] { out[n] = v }
        }
        if let reverse { out.merge(reverse(terraform)) { _, r in r } }
        return out
    }

    /// The Landlord id of a Terraform resource: `landlordID`, or its `id` attribute.
    public func landlordID(of terraform: [String: Value]) -> String? {
        if let landlordID { return landlordID(terraform) }
        return terraform["id"]?.stringValue
    }

    /// The Terraform resource's attributes for Landlord's, sensitive ones marked.
    public func terraformValues(_ attributes: [String: Value]) -> [String: Value] {
        guard !sensitive.isEmpty else { return values(attributes) }
        var marked = attributes
        for k in sensitive {
            // Unknown ones too: Terraform marks a sensitive attribute whether or not its value is known.
            if let v = marked[k], !v.isSensitive, v != .null { marked[k] = .sensitive(v) }
        }
        return values(marked)
    }

    /// The Terraform path of a Landlord attribute.
    public func path(of attribute: String) -> [Value] { paths[attribute] ?? [.string(Self.snakeCase(attribute))] }

    /// The source address written for types no Terraform provider has; `landlord.local` is no
    /// registry, so no tool mistakes it for a real provider.
    public static let landlordProvider = "landlord.local/landlord/landlord"

    /// The shape of a type no Terraform provider has: `aws.sesv2_contact` is
    /// `landlord_aws_sesv2_contact` of ``landlordProvider``, attributes snake_cased.
    public static func fallback(_ type: String, schema: ResourceSchema? = nil) -> TerraformShape {
        let name = "landlord_" + String(type.map { $0 == "." || $0 == "-" ? "_" : $0 })
        return TerraformShape(type: name, providerName: landlordProvider, schema: schema, values: TerraformShape.snakeCased)
    }

    /// `healthCheckPath` as `health_check_path`. (ASCII letters only are split: Unicode's
    /// `isUppercase` was 6% of rendering a 10,000-tenant plan.)
    public static func snakeCase(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return name }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count + 4)
        for b in name.utf8 {
            if b >= 0x41 && b <= 0x5A {
                if !out.isEmpty { out.append(0x5F) }
                out.append(b + 0x20)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The attributes with snake_case names (values unchanged).
    @Sendable public static func snakeCased(_ attributes: [String: Value]) -> [String: Value] {
        var out: [String: Value] = [:]
        out.reserveCapacity(attributes.count)
        for (k, v) in attributes { out[snakeCase(k)] = v }
        return out
    }

    /// Renames some attributes and snake_cases the rest; a rename to `nil` leaves the attribute out.
    public static func renamed(_ attributes: [String: Value], _ names: [String: String?]) -> [String: Value] {
        var out: [String: Value] = [:]
        out.reserveCapacity(attributes.count)
        for (k, v) in attributes {
            if let renamed = names[k] {
                if let renamed { out[renamed] = v }
            } else {
                out[snakeCase(k)] = v
            }
        }
        return out
    }

    /// A nested block as Terraform writes one: a list holding one object. Nil fields are left out;
    /// nil when every field is.
    public static func block(_ fields: [String: Value?]) -> Value? {
        let kept = fields.compactMapValues { $0 }
        return kept.isEmpty ? nil : .list([.map(kept)])
    }

    /// A value written as JSON text in a string attribute (`container_definitions`, a policy
    /// document, a DynamoDB item): unknown when any part of it is, sensitive when any part is
    /// (Terraform can mark a whole attribute sensitive, not part of a string).
    public static func jsonString(_ value: Value) -> Value {
        if !value.isKnown { return .unknown }
        if value.isSensitive { return .sensitive(.null) }
        return .string(JSON.string(value, sortedKeys: true))
    }
}
