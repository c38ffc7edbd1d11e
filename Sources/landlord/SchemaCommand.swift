import ArgumentParser
import Foundation
import LandlordCore
import ProviderAPI

/// `landlord schema`: JSON Schemas of platform, blueprint and tenant files, for editors.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print JSON Schemas (draft 2020-12) of platform, blueprint and tenant files, for editor completion and checks.",
        discussion: """
            Built from the resource types Landlord knows: their attributes with types, required attributes and \
            wait conditions. Point yaml-language-server at them with a first line such as `# \
            yaml-language-server: $schema=../schemas/blueprint.schema.json`. `--kind all` (the default) is one \
            schema for any document, told apart by its `kind:`. With --out DIR, writes DIR/KIND.schema.json \
            (for all: platform, blueprint, tenant and landlord.schema.json) instead of printing. The schemas \
            catch misspelt fields and attributes and unknown resource types as you type; `landlord validate` \
            still checks what they cannot (references, parameters against the blueprint).
            """
    )

    /// `--kind`: which document's schema.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case platform, blueprint, tenant, all

        var schemaKind: DocumentSchema.Kind { DocumentSchema.Kind(rawValue: rawValue)! }
    }

    @ParentCommand var root: Landlord

    @Option(help: "Which schema: platform, blueprint, tenant or all (any document, by its kind).")
    var kind: Kind = .all

    @Option(help: "Write the schema files into DIR (created if missing) instead of printing.")
    var out: String?

    func run() async throws {
        let output = Output(root.global)
        let base = URL(fileURLWithPath: root.global.chdir)
        // The types of the plugins the fleet's platform.yaml names (if any) are included too.
        var resources = Context.schemas
        if let platform = SpecLoader(schemas: Context.schemas).readPlatform(directory: base.standardizedFileURL).0, !platform.plugins.isEmpty {
            let outcome = await PluginHost.start(platform.plugins, root: base.standardizedFileURL, global: root.global)
            let started = outcome.plugins
            let diags = outcome.diagnostics
            output.diagnostics(diags)
            if diags.hasErrors {
                output.error("a plugin above could not be started; fix it and run again")
                throw ExitCode(1)
            }
            for p in started { resources.merge(p.schema.resources) { a, _ in a } }
        }
        guard let out else {
            output.print(Self.text(kind.schemaKind, resources: resources))
            return
        }
        let dir = out.hasPrefix("/") ? URL(fileURLWithPath: out) : base.appendingPathComponent(out)
        let kinds: [DocumentSchema.Kind] = kind == .all ? DocumentSchema.Kind.allCases : [kind.schemaKind]
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for k in kinds {
                let file = dir.appendingPathComponent(k.fileName)
                try Data(Self.text(k, resources: resources).utf8).write(to: file, options: .atomic)
                output.print("wrote \(out.hasSuffix("/") ? out : out + "/")\(k.fileName)\n")
            }
        } catch {
            output.error("cannot write schemas into \(out): \(error.localizedDescription)")
            throw ExitCode(1)
        }
    }

    /// The schema as written: pretty JSON with sorted keys, so the files diff well.
    static func text(_ kind: DocumentSchema.Kind, resources: [String: ResourceSchema] = Context.schemas) -> String {
        JSON.string(DocumentSchema.schema(kind, resources: resources), sortedKeys: true, pretty: true)
    }
}
