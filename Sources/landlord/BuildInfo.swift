/// What this binary was built from, for `landlord --version`.
///
/// Checked in as "unknown". scripts/install-landlord.sh writes the commit it builds (e.g.
/// "5cc8a79", or "5cc8a79-dirty" with uncommitted changes) into this line before its release
/// build and puts the file back afterwards, so the tree is never left modified.
enum BuildInfo {
    static let commit = "unknown"
}
