import Foundation
import ProviderAPI

/// `deletion: snapshot` of a `postgres.schema`: `pg_dump --schema` of that schema (its tables,
/// their rows, sequences, functions), as plain SQL that `psql` restores into another database.
/// `pg_dump` is `LANDLORD_PG_DUMP`, else the first found on PATH or under /usr/lib/postgresql.
extension PostgresProvider: ExportingProvider {
    public func export(_ request: ExportRequest) async -> ExportResponse {
        guard request.resource.type == T.schemaType else {
            return ExportResponse(data: Data(), diagnostics: [.error("\(request.resource.type) cannot be exported", detail: "only postgres.schema")])
        }
        let schema = request.resource.attributes["name"]?.stringValue ?? request.resource.id
        guard let tool = Self.pgDump() else {
            return ExportResponse(
                data: Data(),
                diagnostics: [
                    .error(
                        "pg_dump not found", detail: "install the PostgreSQL client (Debian: postgresql-client) or set LANDLORD_PG_DUMP to its path")
                ])
        }
        // A quoted pattern names the schema exactly (pg_dump's patterns treat * ? . specially).
        let pattern = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        var env = ProcessInfo.processInfo.environment
        if let p = server.password { env["PGPASSWORD"] = p }
        var args = ["--schema=" + pattern, "--no-owner", "--no-privileges"]
        if !server.url.isEmpty { args.append("--dbname=" + server.url) }
        let result = await Self.run(tool, args, environment: env)
        guard result.status == 0 else {
            let why = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return ExportResponse(
                data: Data(), diagnostics: [.error("pg_dump of schema \(schema) failed (exit \(result.status))", detail: why)])
        }
        // pg_dump of a schema that does not exist exits 1 ("no matching schemas were found"),
        // so a dump that succeeded holds the schema.
        return ExportResponse(data: result.stdout)
    }

    static func pgDump() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let p = env["LANDLORD_PG_DUMP"], !p.isEmpty { return p }
        let fm = FileManager.default
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = String(dir) + "/pg_dump"
            if fm.isExecutableFile(atPath: p) { return p }
        }
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        return versions.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }.first { fm.isExecutableFile(atPath: $0) }
    }

    /// What a finished child process gave.
    struct ProcessResult: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: Data
    }

    /// Runs `tool` off the caller's thread; stderr goes to a temporary file so neither pipe can fill.
    static func run(_ tool: String, _ args: [String], environment: [String: String]) async -> ProcessResult {
        await withCheckedContinuation { (cont: CheckedContinuation<ProcessResult, Never>) in
            DispatchQueue.global().async {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: tool)
                p.arguments = args
                p.environment = environment
                let out = Pipe()
                let errPath = NSTemporaryDirectory() + "landlord-pg_dump-\(UUID().uuidString).err"
                FileManager.default.createFile(atPath: errPath, contents: nil)
                defer { try? FileManager.default.removeItem(atPath: errPath) }
                p.standardOutput = out
                p.standardError = FileHandle(forWritingAtPath: errPath)
                p.standardInput = FileHandle.nullDevice
                do { try p.run() } catch {
                    cont.resume(returning: ProcessResult(status: -1, stdout: Data(), stderr: Data("could not start \(tool): \(error)".utf8)))
                    return
                }
                let data = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                let err = FileManager.default.contents(atPath: errPath) ?? Data()
                cont.resume(returning: ProcessResult(status: p.terminationStatus, stdout: data, stderr: err))
            }
        }
    }
}
