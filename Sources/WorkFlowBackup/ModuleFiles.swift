import Foundation
import WorkFlowEngine

/// Custom module sources on disk: `<modules folder>/<category>/<Name>.py`, the seed's `mod/` layout.
public enum ModuleFiles {
    /// The modules the seed shipped in `mod/`, including older ones that linger in its backups.
    /// WorkFlow has its own versions of these, so their Python sources are not restored.
    static let seedBuiltIns: Set<String> = [
        "common.Bash", "common.Kt", "common.DataTransformer", "common.Filter", "common.Http", "common.FileIO",
        "common.Notify", "common.Ssh", "common.MultiProcess", "mysql.MySQL", "mongodb.MongoDB", "kafkaclient.Kafka",
        "elasticsearchclient.ElasticSearch", "prometheus.Prometheus", "mysqlcluster.MySQLCluster",
        "mongodbcluster.MongoDBCluster", "kafka.Kafka", "elasticsearch.ElasticSearch",
    ]

    /// A category is a Python package name: letters, digits and `_`, not starting with a digit.
    static func isCategory(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 64, !isDigit(first) else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            isDigit(scalar) || scalar == "_" || ((scalar.value | 0x20) >= 0x61 && (scalar.value | 0x20) <= 0x7A)
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x30 && scalar.value <= 0x39
    }

    /// `<name>.py`, not hidden. Spaces are allowed: the seed's folders held copies such as `Http 2.py`.
    static func isSourceFile(_ name: String) -> Bool {
        name.hasSuffix(".py") && name.count > 3 && !name.hasPrefix(".") && !name.contains("/")
            && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Whether `<category>/<fileName>` is one of the seed's own modules, or a copy of one that
    /// Finder-style duplication left behind (`Http 2.py`), or a module WorkFlow has built in.
    static func isSeedBuiltIn(category: String, fileName: String, registry: ModuleRegistry) -> Bool {
        var stem = String(fileName.dropLast(3))
        if let space = stem.lastIndex(of: " "), !stem[stem.index(after: space)...].isEmpty,
            stem[stem.index(after: space)...].allSatisfy(\.isNumber)
        {
            stem = String(stem[..<space])
        }
        let name = "\(category).\(stem)"
        return seedBuiltIns.contains(name) || registry.module(named: name) != nil
    }

    /// The module sources in `folder` as the seed backed them up: every `*.py` directly inside
    /// each category folder, sorted; symbolic links and anything else are left out.
    public static func list(in folder: URL) throws(BackupError) -> [(relativePath: String, url: URL)] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        var files: [(relativePath: String, url: URL)] = []
        do {
            for category in try manager.contentsOfDirectory(atPath: folder.path).sorted() where isCategory(category) {
                let categoryURL = folder.appendingPathComponent(category)
                guard try isPlainDirectory(categoryURL) else { continue }
                for file in try manager.contentsOfDirectory(atPath: categoryURL.path).sorted() where isSourceFile(file) {
                    let url = categoryURL.appendingPathComponent(file)
                    guard try isPlainFile(url) else { continue }
                    files.append((relativePath: "\(category)/\(file)", url: url))
                }
            }
        } catch let error as BackupError {
            throw error
        } catch {
            throw .file(path: folder.path, message: "cannot list the modules: \(error.localizedDescription)")
        }
        return files
    }

    /// `category.Name` for every module source in `folder`.
    public static func installedModuleNames(in folder: URL) throws(BackupError) -> Set<String> {
        Set(try list(in: folder).map { $0.relativePath.replacingOccurrences(of: "/", with: ".").dropLast(3) }.map(String.init))
    }

    private static func fileType(_ url: URL) throws -> FileAttributeType? {
        try FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType
    }

    private static func isPlainDirectory(_ url: URL) throws -> Bool { try fileType(url) == .typeDirectory }
    private static func isPlainFile(_ url: URL) throws -> Bool { try fileType(url) == .typeRegular }
}
