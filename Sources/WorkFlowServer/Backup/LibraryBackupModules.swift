import WorkFlowBackup
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// The custom modules of backups and restores, kept by the module library: sources come from the
/// store, checks are introspections in separate Python processes, saves are new versions.
public struct LibraryBackupModules: BackupModuleSources {
    let library: ModuleLibrary

    public init(library: ModuleLibrary) {
        self.library = library
    }

    public func isBuiltIn(_ qualifiedName: String) -> Bool {
        library.isCore(qualifiedName)
    }

    public func storedModules() async throws -> [StoredModule] {
        try await library.store.modules()
    }

    public func check(_ sources: [ModuleSource]) async throws -> [ModuleCheck] {
        let inspections = try await library.inspect(together: sources)
        return zip(sources, inspections).map { source, inspection in
            if let problem = inspection.problem {
                if problem.kind == "syntax" {
                    return ModuleCheck(outcome: .refused(message: "syntax error: \(problem.message)", line: problem.line, column: problem.column), inspection: inspection.json)
                }
                return ModuleCheck(outcome: .broken(problem.description), inspection: inspection.json)
            }
            guard let descriptor = inspection.descriptor(named: source.qualifiedName) else {
                return ModuleCheck(outcome: .broken("the inspector described no module"), inspection: inspection.json)
            }
            return ModuleCheck(outcome: .callable(descriptor), inspection: inspection.json)
        }
    }

    public func save(_ source: ModuleSource, check: ModuleCheck, author: String, comment: String) async throws -> ModuleSaveOutcome {
        let inspection = ModuleInspection(json: check.inspection ?? ["ok": false, "kind": "inspect", "error": "not inspected"])
        return try await library.saveInspected(
            category: source.category, name: source.name, source: source.source, inspection: inspection, author: author, comment: comment)
    }

    public func reload() async {
        // The saves are in the store already; a failed reload is made up by the next run that
        // names one of the modules (`ModuleLibrary.registry(for:)` refreshes then).
        _ = try? await library.refresh(force: true)
    }
}
