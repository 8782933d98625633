import Foundation
import WorkFlowModules
import WorkFlowStore

extension ModuleLibrary {
    /// Introspects several sources as if they were saved together: each beside the stored
    /// modules and the other new sources, which it may import (a seed's `mysqlcluster.MySQLCluster`
    /// imports `mysql.MySQL`). Inspecting them one at a time against the store would report
    /// such an import as failing whenever the imported module comes later. Writes nothing to the
    /// store. At most four inspectors run at once.
    public func inspect(together sources: [ModuleSource]) async throws -> [ModuleInspection] {
        guard let python else { throw ModuleChangeError.noPython("the module host script could not be installed in \(cacheFolder.path)") }
        guard !sources.isEmpty else { return [] }
        let manager = FileManager.default
        let scratch = cacheFolder.appendingPathComponent(".inspect-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: scratch) }
        let incoming = Set(sources.map { "\($0.category)/\($0.name)" })
        var files = try await store.modules().filter { !incoming.contains("\($0.category)/\($0.name)") }
            .map { ModuleSource(category: $0.category, name: $0.name, source: $0.source) }
        // The names become paths: never write outside the scratch folder, whoever called.
        for source in sources {
            try ModuleNames.checkCategory(source.category)
            try ModuleNames.checkModule(source.name)
        }
        files += sources
        for file in files {
            let folder = scratch.appendingPathComponent(file.category)
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(file.source.utf8).write(to: folder.appendingPathComponent("\(file.name).py"))
        }
        let inspector = ModuleInspector(python: python)
        return try await withThrowingTaskGroup(of: (Int, ModuleInspection).self) { group in
            var answers = [ModuleInspection?](repeating: nil, count: sources.count)
            var next = 0
            func start() {
                let index = next
                let source = sources[index]
                next += 1
                group.addTask {
                    do {
                        return (index, try await inspector.inspect(root: scratch, category: source.category, name: source.name))
                    } catch let problem as ModuleProblem {
                        throw ModuleChangeError.noPython(problem.message)
                    }
                }
            }
            while next < min(4, sources.count) { start() }
            while let (index, inspection) = try await group.next() {
                answers[index] = inspection
                if next < sources.count { start() }
            }
            return answers.map { $0 ?? ModuleInspection(json: ["ok": false, "kind": "inspect", "error": "not inspected"]) }
        }
    }

    /// Saves a source with an inspection made by ``inspect(together:)``, without reloading the
    /// registry (call ``refresh(force:)`` once after a batch). The rules of
    /// ``save(category:name:source:author:comment:mustBeNew:)`` apply: names are checked, core
    /// modules cannot be changed, a syntax error refuses the save, other problems are saved with
    /// the module.
    public func saveInspected(
        category: String, name: String, source rawSource: String, inspection: ModuleInspection, author: String?, comment: String?,
        mustBeNew: Bool = false
    ) async throws -> ModuleSaveOutcome {
        try ModuleNames.checkCategory(category)
        try ModuleNames.checkModule(name)
        let qualified = "\(category).\(name)"
        if isCore(qualified) { throw ModuleChangeError.core("Core module \"\(qualified)\" cannot be changed.") }
        if let problem = inspection.problem, problem.kind == "syntax" { throw ModuleChangeError.syntax(problem) }
        let source = rawSource.replacingOccurrences(of: "\r\n", with: "\n")
        return try await store.saveModule(
            category: category, name: name, source: source, inspection: inspection.json, author: author, comment: comment, mustBeNew: mustBeNew)
    }
}
