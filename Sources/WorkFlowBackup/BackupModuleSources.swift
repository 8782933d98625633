import WorkFlowEngine
import WorkFlowStore

/// Where a backup reads the custom Python modules from and a restore checks and saves them: the
/// module library of the server or the command line (which introspects sources in a separate
/// Python process and keeps them in the store with their versions).
public protocol BackupModuleSources: Sendable {
    /// Whether `category.Name` is a module WorkFlow has built in. Its source is neither backed up
    /// nor restored.
    func isBuiltIn(_ qualifiedName: String) -> Bool
    /// Every custom module with its current source, by category then name.
    func storedModules() async throws -> [StoredModule]
    /// Checks `sources` as if they were saved together (they may import one another and the stored
    /// modules), writing nothing. One answer per source, in order.
    func check(_ sources: [ModuleSource]) async throws -> [ModuleCheck]
    /// Makes `source` the module's current source: a new module, a new version when it differs
    /// from the current one, or nothing. `check` is what ``check(_:)`` answered for it. Runs may
    /// not see the change before ``reload()``.
    func save(_ source: ModuleSource, check: ModuleCheck, author: String, comment: String) async throws -> ModuleSaveOutcome
    /// Loads the saved modules for runs; called once after a restore's saves.
    func reload() async
}


/// What checking a module source found.
public struct ModuleCheck: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The module can be called; steps are validated against this.
        case callable(ModuleDescriptor)
        /// The source is saved, but steps cannot call it until it is fixed: an import that fails,
        /// no class named like the file. The seed kept such files too.
        case broken(String)
        /// The source cannot be saved (a syntax error), or could not be checked at all.
        case refused(message: String, line: Int?, column: Int?)
    }

    public var outcome: Outcome
    /// What the library keeps with the source (the inspector's answer), handed back to ``BackupModuleSources/save(_:check:author:comment:)``.
    public var inspection: JSONValue?

    public init(outcome: Outcome, inspection: JSONValue?) {
        self.outcome = outcome
        self.inspection = inspection
    }
}

/// A module known only by its descriptor: what a workflow in a backup is validated against when
/// it calls a module shipped in the same backup. Restores never call it.
struct DescribedModule: Module {
    let descriptor: ModuleDescriptor

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        .failure(["status": false], error: "\(descriptor.name) is being restored and cannot run yet")
    }
}
