import AWSSchema
import LandlordCore
import PostgresSchema
import ProviderAPI
import StripeSchema

/// The built-in providers' Terraform shapes (hashicorp/aws, cyrilgdn/postgresql, the community
/// Stripe provider), wired into the engine's Terraform JSON renderer here, so that the engine
/// names no provider's types. Other types (plugins') are written as `landlord_*`.
enum ReviewShapes {
    /// Every built-in type's shape, by Landlord type.
    static let builtIn: [String: TerraformShape] = AWSTerraformShapes.shapes
        .merging(PostgresTerraformShapes.shapes) { a, _ in a }
        .merging(StripeTerraformShapes.shapes) { a, _ in a }

    /// `--format terraform-json`.
    static let terraformJSON = TerraformJSONRenderer { type in builtIn[type] ?? TerraformShape.fallback(type) }
}
