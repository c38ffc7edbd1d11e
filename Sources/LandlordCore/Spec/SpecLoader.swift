import Dispatch
import Foundation
import LandlordBasics
import ProviderAPI
import Synchronization

/// Loads a fleet directory (platform.yaml, blueprints/, tenants/) into a validated `Fleet`.
///
/// Tenant files are read and validated in parallel. Every problem in every file is collected;
/// a fleet with any error is not returned.
public struct SpecLoader: Sendable {
    public var schemas: [String: ResourceSchema]
    public var reader: YAMLReader
    /// The environment `${env.NAME}` reads from (only names platform.yaml declares).
    public var environment: [String: String]

    /// A loader checking resources against `schemas`; `environment` defaults to the process's.
    public init(
        schemas: [String: ResourceSchema], reader: YAMLReader = YAMLReader(), environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.schemas = schemas
        self.reader = reader
        self.environment = environment
    }

    /// Reads the fleet rooted at `directory`.
    public func load(directory: URL) -> (Fleet?, Diagnostics) {
        var diags = Diagnostics()
        let fm = FileManager.default
        let platformURL = directory.appendingPathComponent("platform.yaml")
        guard fm.fileExists(atPath: platformURL.path) else {
            diags.append(
                .error(
                    "no platform.yaml in \(directory.path)",
                    detail: "run landlord in a fleet directory, or pass -C DIR (try `landlord -C examples/quickstart plan`)"))
            return (nil, diags)
        }
        let rel: @Sendable (URL) -> String = { url in Self.relativePath(url, to: directory) }

        // Platform first: blueprints check their references against its inputs.
        let (platformNode, platformDigest, platformDiag) = parse(platformURL, name: rel(platformURL))
        if let platformDiag { diags.append(platformDiag) }
        var platform: PlatformSpec?
        if let platformNode {
            let pools = Set(
                schemas.values.flatMap(\.allocation).compactMap { a -> PoolDeclaration? in
                    if case .placement(let pool, _) = a.kind { return pool } else { return nil }
                })
            let (p, d) = PlatformReader.read(platformNode, file: rel(platformURL), digest: platformDigest, pools: pools)
            platform = p
            diags.append(contentsOf: d)
        }

        var blueprints: [String: Blueprint] = [:]
        var blueprintFiles: [String: String] = [:]
        var failedBlueprints = Set<String>()
        let env = EnvironmentAccess(declared: platform?.env ?? [:], values: environment, platformFile: rel(platformURL))
        let bpReader = BlueprintReader(schemas: schemas, platform: platform, env: env)
        for url in Self.yamlFiles(in: directory.appendingPathComponent("blueprints")) {
            let (node, digest, d) = parse(url, name: rel(url))
            if let d {
                diags.append(d)
                failedBlueprints.insert(url.deletingPathExtension().lastPathComponent)
                continue
            }
            guard let node else { continue }
            let (bp, bd) = bpReader.read(node, file: rel(url), digest: digest)
            diags.append(contentsOf: bd)
            let declared = node["name"]?.scalar ?? url.deletingPathExtension().lastPathComponent
            guard let bp else {
                failedBlueprints.insert(declared)
                continue
            }
            if let other = blueprintFiles[bp.name] {
                diags.append(
                    .error("duplicate blueprint name '\(bp.name)'", detail: "also defined in \(other); rename one", at: node["name"]?.location))
                continue
            }
            blueprintFiles[bp.name] = bp.file
            blueprints[bp.name] = bp
        }

        // Tenants, in parallel. Named by file name (what `rel` would make of each URL, without
        // standardizing 10,000 paths).
        let tenantsDir = directory.appendingPathComponent("tenants")
        let tenantNames = Self.yamlNames(in: tenantsDir)
        let known = blueprints
        let failed = failedBlueprints
        let tenantsPath = tenantsDir.path
        let results = ParallelMap.map(tenantNames) { name -> (TenantSpec?, Diagnostics) in
            let file = "tenants/" + name
            let (node, digest, d) = parse(path: tenantsPath + "/" + name, name: file)
            if let d { return (nil, Diagnostics([d])) }
            guard let node else { return (nil, Diagnostics()) }
            return TenantReader.read(node, file: file, digest: digest, blueprints: known, blueprintErrors: failed, env: env)
        }
        var tenants: [TenantSpec] = []
        tenants.reserveCapacity(results.count)
        for (t, d) in results {
            diags.append(contentsOf: d)
            if let t { tenants.append(t) }
        }
        tenants.sort { $0.id < $1.id }
        var index: [String: Int] = [:]
        index.reserveCapacity(tenants.count)
        for (i, t) in tenants.enumerated() {
            if let j = index[t.id] {
                diags.append(
                    .error("duplicate tenant id '\(t.id)'", detail: "also used by \(tenants[j].file); tenant ids must be unique", at: t.location))
            } else {
                index[t.id] = i
            }
        }
        guard let platform, !diags.hasErrors else { return (nil, diags) }
        return (Fleet(root: directory, platform: platform, blueprints: blueprints, tenants: tenants, tenantIndex: index), diags)
    }

    /// Reads platform.yaml alone (its provider settings and plugins), before the resource
    /// types are known: the CLI starts the plugins it names to learn their types, then loads the
    /// fleet against those too. Nil when the file is missing or unreadable (`load` says why).
    public func readPlatform(directory: URL) -> (PlatformSpec?, Diagnostics) {
        let url = directory.appendingPathComponent("platform.yaml")
        guard FileManager.default.fileExists(atPath: url.path) else { return (nil, Diagnostics()) }
        let (node, digest, d) = parse(url, name: Self.relativePath(url, to: directory))
        guard let node else { return (nil, Diagnostics(d.map { [$0] } ?? [])) }
        return PlatformReader.read(node, file: Self.relativePath(url, to: directory), digest: digest)
    }

    private func parse(_ url: URL, name: String) -> (YAMLNode?, String, Diagnostic?) { parse(path: url.path, name: name) }

    private func parse(path: String, name: String) -> (YAMLNode?, String, Diagnostic?) {
        guard let data = AtomicFile.read(path) else {
            return (
                nil, "",
                .error(
                    "cannot read \(name)", detail: "check that the file exists and is readable", at: SourceLocation(file: name, line: 1, column: 1))
            )
        }
        let digest = Digest.sha256Hex(data)
        guard let text = String(validating: data, as: UTF8.self) else {
            return (
                nil, digest, .error("\(name) is not UTF-8 text", detail: "save the file as UTF-8", at: SourceLocation(file: name, line: 1, column: 1))
            )
        }
        switch reader.read(text, file: name) {
        case .success(let node): return (node, digest, nil)
        case .failure(let d): return (nil, digest, d)
        }
    }

    /// `.yaml` and `.yml` files of a directory, sorted; none when it does not exist.
    static func yamlFiles(in dir: URL) -> [URL] {
        yamlNames(in: dir).map { dir.appendingPathComponent($0) }
    }

    /// The names of `yamlFiles(in:)`.
    static func yamlNames(in dir: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
    }

    static func relativePath(_ url: URL, to dir: URL) -> String {
        let base = dir.standardizedFileURL.path
        let p = url.standardizedFileURL.path
        if p.hasPrefix(base + "/") { return String(p.dropFirst(base.count + 1)) }
        return p
    }
}

/// Runs independent work on all cores, keeping results in input order.
public enum ParallelMap {
    /// `items.map(transform)`, spread over the machine's cores in chunks.
    public static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        if items.count < 16 { return items.map(transform) }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        // Enough chunks that the last ones finish together on a busy machine.
        let chunks = min(items.count, cores * 16)
        let box = ResultBox<R>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = items.count * c / chunks
            let hi = items.count * (c + 1) / chunks
            var local: [R] = []
            local.reserveCapacity(hi - lo)
            for i in lo..<hi { local.append(transform(items[i])) }
            box.store(local, at: lo)
        }
        return box.values
    }

    private final class ResultBox<R: Sendable>: Sendable {
        private let slots: Mutex<[R?]>
        init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
        func store(_ values: [R], at offset: Int) {
            slots.withLock { slots in for (i, v) in values.enumerated() { slots[offset + i] = v } }
        }
        /// Every slot was stored by `map` (chunks cover the whole range) before this is read.
        var values: [R] { slots.withLock { $0.compactMap { $0 } } }
    }
}
