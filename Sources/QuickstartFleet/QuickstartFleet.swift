import Foundation

/// The quickstart fleet of examples/quickstart, compiled into the binary so `landlord init DIR`
/// can write it anywhere: two tenants of the web blueprint on the mock provider. The file list
/// is generated (scripts/embed-quickstart.sh); a test fails while it differs from the example.
public enum QuickstartFleet {
    /// One spec file of the fleet.
    public struct File: Sendable, Hashable {
        /// The path inside the fleet directory, e.g. `tenants/acme.yaml`.
        public let path: String
        /// The file's exact content.
        public let text: String

        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// Writes every file under `directory`, creating it and its subdirectories as needed and
    /// replacing files of the same name. Returns the paths written.
    @discardableResult
    public static func write(to directory: URL) throws -> [String] {
        let fm = FileManager.default
        for f in files {
            let url = directory.appendingPathComponent(f.path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(f.text.utf8).write(to: url, options: .atomic)
        }
        return files.map(\.path)
    }
}
