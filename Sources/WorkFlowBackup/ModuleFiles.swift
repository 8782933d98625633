import Foundation
import WorkFlowEngine
import WorkFlowStore

/// Custom module sources as the seed kept them: `<category>/<Name>.py` under its `mod/` folder, and
/// under `modules/` in its backups.
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

    /// Why `<category>/<fileName>` is not brought over as a custom module, or `nil` when it is.
    /// Left out, as the seed's module inspector left them out or because WorkFlow has them:
    /// the seed's own modules and copies of them (`Http 2.py`), other copies (any name with a
    /// space), helper files (`_util.py`, `__init__.py`), and names the module store cannot hold.
    static func skipReason(category: String, fileName: String, isBuiltIn: (String) -> Bool) -> String? {
        let stem = String(fileName.dropLast(3))
        var original = stem
        if let space = stem.lastIndex(of: " "), !stem[stem.index(after: space)...].isEmpty,
            stem[stem.index(after: space)...].allSatisfy(\.isNumber)
        {
            original = String(stem[..<space])
        }
        let name = "\(category).\(original)"
        if seedBuiltIns.contains(name) || isBuiltIn(name) {
            return original == stem ? "built into WorkFlow" : "a copy of \(name), which is built into WorkFlow"
        }
        if stem.contains(" ") { return "a copy: a file name with a space is not a module (the seed skipped these too)" }
        if stem.hasPrefix("_") { return "a helper file, not a module (the seed skipped names starting with '_' too)" }
        do {
            try ModuleNames.checkCategory(category)
            try ModuleNames.checkModule(stem)
        } catch {
            return "cannot be stored as a module: \(error)"
        }
        return nil
    }

    /// The module sources in `folder` (a seed's `mod/`): every `*.py` directly inside each
    /// category folder, sorted, as the seed backed them up. Folders starting with `_` or `.`
    /// (`__pycache__`) are not categories; symbolic links are followed.
    public static func list(in folder: URL) throws(BackupError) -> [(relativePath: String, url: URL)] {
        let manager = FileManager.default
        guard isDirectory(folder) else { return [] }
        var files: [(relativePath: String, url: URL)] = []
        do {
            for category in try manager.contentsOfDirectory(atPath: folder.path).sorted()
            where isCategory(category) && !category.hasPrefix("_") {
                let categoryURL = folder.appendingPathComponent(category)
                guard isDirectory(categoryURL) else { continue }
                for file in try manager.contentsOfDirectory(atPath: categoryURL.path).sorted() where isSourceFile(file) {
                    let url = categoryURL.appendingPathComponent(file)
                    guard !isDirectory(url) else { continue }
                    files.append((relativePath: "\(category)/\(file)", url: url))
                }
            }
        } catch {
            throw .file(path: folder.path, message: "cannot list the modules: \(error.localizedDescription)")
        }
        return files
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
