import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the spec files of a fleet looked like when they were last read: for platform.yaml and
/// each `.yaml`/`.yml` of blueprints/ and tenants/ (and those two directories), its size,
/// modification time (to the nanosecond) and inode. Two stamps differ when a file was added,
/// removed, replaced (a new inode: git checkouts and atomic writes) or written in place.
/// Taking one costs one `stat` per file and no reads. Before each request that starts work the
/// service re-stamps only the files its ``FleetWatch`` names, and takes a whole stamp when the
/// watch cannot tell or at ``nextFullScan``. On a large fleet a whole stamp
/// stats the tenant files one by one only when their directory changed or that interval
/// passed (without a watch, an edit in place of an existing tenant file, which leaves the
/// directory as it was, is seen within that time).
struct FleetStamp: Equatable, Sendable {
    /// One file's `stat`, as compared.
    struct File: Equatable, Sendable {
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
        var inode: UInt64
    }

    /// By path relative to the fleet directory.
    var files: [String: File] = [:]
    /// When the tenant files were last stat'ed one by one.
    var scanned = Date.distantPast
    /// How many tenant files the last full scan found.
    var tenantFiles = 0
    /// Seconds the last full scan's stats of the tenant files took.
    var scanSeconds: TimeInterval = 0

    /// Seconds between full scans of the tenant files when their directory did not change.
    static let fullScanInterval: TimeInterval = 1
    /// Below this many tenant files every stamp is a full scan.
    static let smallFleet = 2_000

    static func == (a: FleetStamp, b: FleetStamp) -> Bool { a.files == b.files }

    /// The stamp of the fleet under `root` now; `previous` lets a large fleet skip stat'ing
    /// each tenant file while the tenants directory is unchanged.
    static func take(_ root: URL, previous: FleetStamp? = nil, now: Date = Date()) -> FleetStamp {
        var s = FleetStamp()
        s.note(root, "platform.yaml")
        s.note(root, "blueprints")
        s.note(root, "tenants")
        for n in names(root, "blueprints") { s.note(root, "blueprints/" + n) }
        if let previous, previous.files["tenants"] == s.files["tenants"], now.timeIntervalSince(previous.scanned) < fullScanInterval,
            previous.tenantFiles >= smallFleet
        {
            for (path, file) in previous.files where path.hasPrefix("tenants/") { s.files[path] = file }
            s.scanned = previous.scanned
            s.tenantFiles = previous.tenantFiles
            s.scanSeconds = previous.scanSeconds
            return s
        }
        let tenants = names(root, "tenants")
        let began = ContinuousClock.now
        for n in tenants { s.note(root, "tenants/" + n) }
        let took = (ContinuousClock.now - began).components
        s.scanSeconds = Double(took.seconds) + Double(took.attoseconds) / 1e18
        s.tenantFiles = tenants.count
        s.scanned = now
        return s
    }

    /// When a service with a ``FleetWatch`` next stats every file (for what raises no event):
    /// ``fullScanInterval`` after this scan, or 20 times the scan's own time when that is
    /// longer, so the scan of a large fleet never takes more than a twentieth of the service's
    /// time (at 100,000 tenant files it takes a good fraction of a second).
    var nextFullScan: Date { scanned.addingTimeInterval(Swift.max(Self.fullScanInterval, 20 * scanSeconds)) }

    /// The `.yaml`/`.yml` names of a directory (readdir: no URL or attribute objects per file).
    private static func names(_ root: URL, _ dir: String) -> [String] {
        guard let d = opendir(root.path + "/" + dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".") { out.append(name) }
        }
        return out
    }

    /// Stats one file again (after this process wrote or removed it), so its own writes do
    /// not read as someone else's edits.
    mutating func note(_ root: URL, _ relative: String) {
        var st = stat()
        guard stat(root.path + "/" + relative, &st) == 0 else {
            files[relative] = nil
            return
        }
        files[relative] = File(size: Int64(st.st_size), seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec, inode: UInt64(st.st_ino))
    }

    /// The files that differ between two stamps (added, removed or changed), sorted; the
    /// directories' own stamps only decide whether tenant files are stat'ed.
    func changes(since old: FleetStamp) -> [String] {
        changes(since: old, among: Set(files.keys).union(old.files.keys))
    }

    /// ``changes(since:)`` among `paths` only (the files a watch named): no work for the others.
    func changes(since old: FleetStamp, among paths: Set<String>) -> [String] {
        paths.filter { $0 != "blueprints" && $0 != "tenants" && files[$0] != old.files[$0] }.sorted()
    }
}
