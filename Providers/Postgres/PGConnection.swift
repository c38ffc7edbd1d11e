import CLibPQ
import Foundation
import ProviderAPI

/// An error from the server or from libpq, with the SQLSTATE when the server sent one.
struct PGError: Error, CustomStringConvertible, Sendable {
    var message: String
    /// The five-character SQLSTATE (`42P06` duplicate schema), empty for client-side failures.
    var sqlState: String = ""
    var detail: String = ""
    var hint: String = ""
    var description: String { message + (detail.isEmpty ? "" : " (\(detail))") }
}

/// One libpq connection. Every call blocks, so it is used only on its server's serial queue
/// (`PGServer`), never on Swift's cooperative pool.
// @unchecked: the connection pointer is touched only on the owning PGServer's serial queue.
final class PGConnection: @unchecked Sendable {
    private var conn: OpaquePointer?

    /// Connects with libpq: `url` (a `postgres://` URI or `key=value` string, expanded by libpq,
    /// which also honours the PG* environment variables), then `database` and `password` when given.
    init(url: String, database: String? = nil, password: String?) throws(PGError) {
        var keys = ["dbname", "application_name", "connect_timeout"]
        var values = [url, "landlord", "10"]
        if let database {
            keys.append("dbname")
            values.append(database)
        }
        if let password {
            keys.append("password")
            values.append(password)
        }
        conn = Self.withCStrings(keys) { k in Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            conn = nil
            throw PGError(message: message)
        }
    }

    deinit { if conn != nil { PQfinish(conn) } }

    /// The connection is still usable (a server restart breaks it).
    var isHealthy: Bool { conn != nil && PQstatus(conn) == CONNECTION_OK }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let dup = strings.map { strdup($0) }
        defer { for p in dup { free(p) } }
        return body(dup.map { UnsafePointer($0) } + [nil])
    }

    /// Runs one statement with `$1...` parameters (always sent apart from the SQL text) and
    /// returns its rows as text (nil for SQL NULL).
    @discardableResult
    func query(_ sql: String, _ params: [String?] = []) throws(PGError) -> [[String?]] {
        let dup = params.map { $0.map { strdup($0) } ?? nil }
        defer { for p in dup { free(p) } }
        let ptrs = dup.map { UnsafePointer($0) }
        let res = ptrs.withUnsafeBufferPointer { buf in
            PQexecParams(conn, sql, Int32(params.count), nil, buf.baseAddress, nil, nil, 0)
        }
        defer { PQclear(res) }
        let status = PQresultStatus(res)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw error(res) }
        var rows: [[String?]] = []
        for r in 0..<PQntuples(res) {
            rows.append(
                (0..<PQnfields(res)).map { c in PQgetisnull(res, r, c) == 1 ? nil : String(cString: PQgetvalue(res, r, c)) })
        }
        return rows
    }

    private func error(_ res: OpaquePointer?) -> PGError {
        func field(_ code: Character) -> String {
            guard let res, let p = PQresultErrorField(res, Int32(code.asciiValue!)) else { return "" }
            return String(cString: p)
        }
        let primary = field("M")
        let message = primary.isEmpty ? String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines) : primary
        return PGError(
            message: message.isEmpty ? "the server closed the connection" : message, sqlState: field("C"), detail: field("D"), hint: field("H"))
    }

    /// `name` quoted as an SQL identifier (PQescapeIdentifier): `"my ""odd"" schema"`.
    func identifier(_ name: String) throws(PGError) -> String {
        guard let p = PQescapeIdentifier(conn, name, name.utf8.count) else { throw PGError(message: String(cString: PQerrorMessage(conn))) }
        defer { PQfreemem(p) }
        return String(cString: p)
    }

    /// `text` quoted as an SQL string literal (PQescapeLiteral): `'it''s'`, or `E'...'` with backslashes.
    func literal(_ text: String) throws(PGError) -> String {
        guard let p = PQescapeLiteral(conn, text, text.utf8.count) else { throw PGError(message: String(cString: PQerrorMessage(conn))) }
        defer { PQfreemem(p) }
        return String(cString: p)
    }
}
