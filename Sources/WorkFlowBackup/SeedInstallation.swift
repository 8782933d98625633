import Foundation
import WorkFlowEngine

/// A WorkFlow v0.0.3 installation folder, and folders of exported workflows, read as if they
/// were a backup, so that `workflow import-seed --dir` checks, plans and writes them as a restore
/// does. Problems name the files by their paths.
///
/// - `<folder>/mod/<category>/*.py` are the custom modules, left out as the seed's inspector left
///   them out (its own modules, `_helper.py`, `Copy 2.py`).
/// - `<folder>/workflows/*.json` and each `*.json` in `workflowFolders` is a workflow, either as
///   the seed's backup wrote it (`{"flow_name", "enabled", "procedures": {...}}`) or as a
///   definition (`{"name", "procedures": [...], "variables"?, ...}`, the seed's `-c` shape).
public enum SeedInstallation {
    /// The seed's own folder of modules inside an installation.
    public static let modulesFolder = "mod"
    /// Where exported workflows are looked for inside an installation, when the folder exists.
    public static let workflowsFolder = "workflows"

    /// Reads and validates everything at once; see ``BackupArchive/read(_:registry:modules:limits:)``.
    public static func read(
        folder: URL?, workflowFolders: [URL], registry: ModuleRegistry, modules: any BackupModuleSources
    ) async throws(BackupError) -> BackupArchive {
        var reader = ArchiveReader(modules: modules)
        reader.manifest = BackupManifest(
            createdAt: "", createdBy: "", sections: [.workflows, .modules], formatVersion: nil, producer: nil)
        var order: [String] = []
        var folders = workflowFolders
        if let folder {
            guard ModuleFiles.isDirectory(folder) else { throw .file(path: folder.path, message: "no such folder") }
            let mod = folder.appendingPathComponent(modulesFolder)
            if ModuleFiles.isDirectory(mod) {
                for file in try ModuleFiles.list(in: mod) {
                    order.append(file.url.path)
                    let parts = file.relativePath.split(separator: "/").map(String.init)
                    guard let data = FileManager.default.contents(atPath: file.url.path) else {
                        reader.problem(file.url.path, "cannot be read")
                        continue
                    }
                    if let module = reader.moduleFile(file.url.path, category: parts[0], fileName: parts[1], data: data) {
                        reader.moduleFiles.append(module)
                    }
                }
            } else {
                order.append(mod.path)
                reader.problem(mod.path, "missing: a WorkFlow v0.0.3 installation keeps its modules there")
            }
            let exported = folder.appendingPathComponent(workflowsFolder)
            if ModuleFiles.isDirectory(exported) { folders.insert(exported, at: 0) }
        }
        for workflowFolder in folders {
            guard ModuleFiles.isDirectory(workflowFolder) else { throw .file(path: workflowFolder.path, message: "no such folder") }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: workflowFolder.path).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            } catch {
                throw .file(path: workflowFolder.path, message: "cannot be listed: \(error.localizedDescription)")
            }
            for name in names.sorted() {
                let url = workflowFolder.appendingPathComponent(name)
                guard !ModuleFiles.isDirectory(url) else { continue }
                order.append(url.path)
                readWorkflow(url, into: &reader)
            }
        }
        return try await reader.finish(registry: registry, order: order)
    }

    private static func readWorkflow(_ url: URL, into reader: inout ArchiveReader) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            reader.problem(url.path, "cannot be read")
            return
        }
        let value: JSONValue
        do {
            value = try JSONParser(allowsJSON5: true).parse(data)
        } catch {
            reader.problem(url.path, "not valid JSON: \(error.message)", line: error.line, column: error.column)
            return
        }
        guard case .object(let object) = value, let entry = backupShape(object) else {
            reader.problem(
                url.path,
                "expected a workflow: {\"flow_name\", \"enabled\", \"procedures\": {...}} as the seed's backup wrote it, or {\"name\", \"procedures\": [...]} as its -c option took it")
            return
        }
        reader.workflows.append((url.path, entry))
    }

    /// The seed's backup shape of `object`: as it is when it has `flow_name`; a definition with
    /// `name` becomes `{"flow_name": name, "enabled": enabled ?? true, "procedures": <the rest>}`.
    static func backupShape(_ object: JSONObject) -> JSONObject? {
        if object["flow_name"] != nil { return object }
        guard case .string(let name)? = object["name"], object["procedures"] != nil else { return nil }
        var document = object
        document["name"] = nil
        let enabled = document.removeValue(forKey: "enabled") ?? .bool(true)
        return ["flow_name": .string(name), "enabled": enabled, "procedures": .object(document)]
    }
}
