import ProviderAPI

/// The `postgres.*` types in cyrilgdn/postgresql's shapes, for `landlord plan --format
/// terraform-json` (docs/review-tools.md has the table). Attributes the Terraform resource does
/// not have are kept under their snake_case names, which review tools ignore.
public enum PostgresTerraformShapes {
    /// cyrilgdn/postgresql's source address.
    public static let provider = "registry.terraform.io/cyrilgdn/postgresql"

    /// Every `postgres.*` type, by Landlord type.
    public static let shapes: [String: TerraformShape] = {
        let types = PostgresResourceTypes.schema.resources
        return [
            PostgresResourceTypes.schemaType: TerraformShape(
                type: "postgresql_schema", providerName: provider, schema: types[PostgresResourceTypes.schemaType]),
            // `memberOf` is `roles`, both ways (the export writes it, adoption reads it back).
            PostgresResourceTypes.role: TerraformShape(
                type: "postgresql_role", providerName: provider, schema: types[PostgresResourceTypes.role], names: ["memberOf": "roles"]),
            // A grant on the schema (object_type "schema"); its table privileges are one more
            // postgresql_grant in Terraform (object_type "table"), kept here as table_privileges.
            PostgresResourceTypes.grant: TerraformShape(
                type: "postgresql_grant", providerName: provider,
                schema: types[PostgresResourceTypes.grant]
            ) { a in
                var out = TerraformShape.snakeCased(a)
                out["object_type"] = "schema"
                if out["privileges"] == nil { out["privileges"] = .list([]) }
                return out
            },
        ]
    }()
}
