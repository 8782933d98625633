import Crypto
import Foundation
import Logging
import Synchronization
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// Every module a run can call: the built-in Swift modules, the custom Python modules stored in
/// the database, and executables placed in `$WORKFLOW_HOME/modules/<category>/`.
///
/// The database holds the custom sources (so every node of a cluster runs the same code); this
/// node writes them to `$WORKFLOW_HOME/modules/.cache/tree-<hash>/<category>/<Name>.py`, one folder per
/// set of sources keyed by their hashes, and a run's Python child imports them from there.
/// ``registry()`` is a snapshot; ``refresh()`` brings it up to date with the database, which
/// workers do before a run that names a module they do not know or that changed.
public final class ModuleLibrary: Sendable {
    /// The built-in modules (core: read-only, undeletable).
    public let builtins: ModuleRegistry
    public let store: SQLStore
    /// `$WORKFLOW_HOME/modules`.
    public let folder: URL
    public let python: PythonRuntime?
    let logger: Logger
    private let state: Mutex<State>
    /// One refresh at a time.
    private let refreshing = AsyncGate()

    struct State {
        var registry: ModuleRegistry
        /// What the registry was built from.
        var fingerprints: [ModuleFingerprint] = []
        var executables: [String: ExecutableEntry] = [:]
        /// Problems of stored modules that could not be registered, by `category.Name`.
        var problems: [String: ModuleProblem] = [:]
        var loaded = false
        /// The stored Python modules that could be registered, as last built.
        var custom: [ScriptModule] = []
        /// The cache tree they run from.
        var tree: URL?
        /// Inspections made again by this process for sources whose stored inspection failed
        /// for a reason of the node (an import error, a timeout), by source hash.
        var reinspected: [String: ModuleInspection] = [:]
        /// Counts the registries built; a validation cached with an older one is stale.
        var generation = 0
    }

    struct ExecutableEntry {
        var size: Int
        var modified: Date
        var module: ScriptModule?
        var problem: ModuleProblem?
    }

    /// The cache of module sources: `modules/.cache` (hidden, so backups and the executable scan pass it by).
    public var cacheFolder: URL { folder.appendingPathComponent(".cache") }

    /// `python` is the interpreter custom Python modules run on (configuration `modules.python`).
    public init(store: SQLStore, builtins: ModuleRegistry, folder: URL, python: String = "python3", logger: Logger) {
        self.store = store
        self.builtins = builtins
        self.folder = folder
        self.logger = logger
        self.python = try? PythonRuntime.installed(in: folder.appendingPathComponent(".cache"), interpreter: python)
        self.state = Mutex(State(registry: builtins))
    }

    /// The modules as last loaded.
    public func registry() -> ModuleRegistry {
        state.withLock { $0.registry }
    }

    /// The registry and its generation, which changes whenever the registry may have.
    public func registryWithGeneration() -> (ModuleRegistry, Int) {
        state.withLock { ($0.registry, $0.generation) }
    }

    /// Whether `name` is a built-in module.
    public func isCore(_ name: String) -> Bool {
        builtins.module(named: name) != nil
    }

    /// Problems of stored modules that are not callable now (a syntax error, no class), by `category.Name`.
    public func problems() -> [String: ModuleProblem] {
        state.withLock { $0.problems }
    }

    // MARK: - Loading

    /// Reloads the custom modules when the database's differ from the loaded ones (or `force`),
    /// and rescans the executables in the modules folder.
    @discardableResult
    public func refresh(force: Bool = false) async throws(StoreError) -> ModuleRegistry {
        await refreshing.enter()
        defer { refreshing.leave() }
        let fingerprints = try await store.moduleFingerprints()
        let executables = await scanExecutables()
        let unchanged = state.withLock { state in
            state.loaded && state.fingerprints == fingerprints && !force
        }
        var custom: [ScriptModule] = []
        var problems: [String: ModuleProblem] = [:]
        let (loadedCustom, loadedProblems, loadedTree) = state.withLock { ($0.custom, $0.problems, $0.tree) }
        if unchanged, let loadedTree, FileManager.default.fileExists(atPath: loadedTree.path) {
            custom = loadedCustom
            problems = loadedProblems
            touch(loadedTree)
        } else {
            let modules = try await store.modules()
            let root = materialize(modules)
            let launch = root.flatMap { try? python?.launch(mode: ["serve", $0.path], workingDirectory: folder.deletingLastPathComponent().path) }
            for module in modules {
                let inspection = await effectiveInspection(of: module, root: root)
                guard let descriptor = inspection.descriptor(named: module.qualifiedName) else {
                    problems[module.qualifiedName] = inspection.problem
                    continue
                }
                guard let launch else {
                    problems[module.qualifiedName] = ModuleProblem(
                        kind: "inspect",
                        message: root == nil
                            ? "the module sources could not be written to \(cacheFolder.path) (see the server log)"
                            : "Python (\(python?.interpreter ?? "python3")) is not available on this node")
                    continue
                }
                custom.append(ScriptModule(descriptor: descriptor, launch: launch))
            }
            state.withLock { $0.tree = root }
        }
        var registry = builtins
        for module in custom where builtins.module(named: module.descriptor.name) == nil {
            registry.register(module)
        }
        for (_, entry) in executables.sorted(by: { $0.key < $1.key }) {
            if let module = entry.module, registry.module(named: module.descriptor.name) == nil {
                registry.register(module)
            }
        }
        state.withLock { state in
            let sameExecutables = state.executables.count == executables.count
                && executables.allSatisfy { path, entry in state.executables[path].map { $0.size == entry.size && $0.modified == entry.modified } ?? false }
            if !unchanged || !sameExecutables { state.generation += 1 }
            state.registry = registry
            state.fingerprints = fingerprints
            state.executables = executables
            state.problems = problems
            state.custom = custom
            state.loaded = true
        }
        return registry
    }

    /// Refreshes when `workflow` names a module the registry lacks, or a custom one that may have
    /// changed since it was loaded; built-in-only workflows cost nothing.
    public func registry(for workflow: Workflow) async -> ModuleRegistry {
        let current = registry()
        let needsCheck = workflow.procedures.contains { step in
            builtins.module(named: step.mod) == nil && !step.mod.isEmpty
        }
        guard needsCheck else { return current }
        do {
            return try await refresh()
        } catch {
            logger.warning("could not reload the custom modules; using the loaded ones", metadata: ["error": "\(error)"])
            return current
        }
    }

    /// Writes every source to `.cache/tree-<hash>/<category>/<Name>.py` (unless that folder exists)
    /// and returns the folder; removes trees unused for an hour.
    private func materialize(_ modules: [StoredModule]) -> URL? {
        let listing = modules.map { "\($0.category)/\($0.name).py:\($0.sourceHash)\n" }.joined()
        let treeHash = SHA256.hash(data: Data(listing.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        let root = cacheFolder.appendingPathComponent("tree-\(treeHash)")
        let manager = FileManager.default
        do {
            if !manager.fileExists(atPath: root.path) {
                let temporary = cacheFolder.appendingPathComponent(".tree-\(UUID().uuidString)")
                for module in modules {
                    let categoryFolder = temporary.appendingPathComponent(module.category)
                    try manager.createDirectory(at: categoryFolder, withIntermediateDirectories: true)
                    try Data(module.source.utf8).write(to: categoryFolder.appendingPathComponent("\(module.name).py"))
                }
                try manager.createDirectory(at: temporary, withIntermediateDirectories: true)
                if (try? manager.moveItem(at: temporary, to: root)) == nil {
                    try? manager.removeItem(at: temporary)  // another process wrote the same tree
                }
            }
            // Mark it used, then drop trees no refresh has used for a day: a run keeps using the
            // tree it started with, and every refresh (one per run that calls custom modules,
            // on every node and command sharing this folder) marks the tree in use.
            touch(root)
            let cutoff = Date().addingTimeInterval(-86_400)
            for entry in (try? manager.contentsOfDirectory(atPath: cacheFolder.path)) ?? [] where entry.hasPrefix("tree-") {
                let url = cacheFolder.appendingPathComponent(entry)
                if url.lastPathComponent != root.lastPathComponent,
                    let modified = (try? manager.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date, modified < cutoff
                {
                    try? manager.removeItem(at: url)
                }
            }
            return root
        } catch {
            logger.error("cannot write the custom modules to the cache", metadata: ["folder": "\(cacheFolder.path)", "error": "\(error)"])
            return nil
        }
    }

    private func touch(_ tree: URL) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: tree.path)
    }

    /// The stored inspection, unless it failed for a reason of the node that may have passed (a
    /// missing package installed since, a slow import): then the source is inspected again,
    /// once per source for the life of this process.
    private func effectiveInspection(of module: StoredModule, root: URL?) async -> ModuleInspection {
        let stored = ModuleInspection(json: module.inspection ?? ["ok": false, "kind": "inspect", "error": "not inspected yet"])
        guard let problem = stored.problem, ["import", "timeout", "inspect"].contains(problem.kind), let root, let python else { return stored }
        if let again = state.withLock({ $0.reinspected[module.sourceHash] }) { return again }
        let again = (try? await ModuleInspector(python: python).inspect(root: root, category: module.category, name: module.name)) ?? stored
        state.withLock { $0.reinspected[module.sourceHash] = again }
        return again
    }

    /// Executables at `modules/<category>/<Name>` (no extension needed; not `.py`, not hidden),
    /// described by asking them (`describe`); an unchanged file is not asked again.
    private func scanExecutables() async -> [String: ExecutableEntry] {
        let manager = FileManager.default
        let known = state.withLock { $0.executables }
        var found: [String: ExecutableEntry] = [:]
        let categories = ((try? manager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for category in categories where (try? ModuleNames.checkCategory(category)) != nil {
            let categoryURL = folder.appendingPathComponent(category)
            for file in ((try? manager.contentsOfDirectory(atPath: categoryURL.path)) ?? []).sorted() {
                guard !file.hasPrefix("."), !file.hasSuffix(".py") else { continue }
                let name = file.split(separator: ".", maxSplits: 1).first.map(String.init) ?? file
                guard (try? ModuleNames.checkModule(name)) != nil else { continue }
                let url = categoryURL.appendingPathComponent(file)
                guard let attributes = try? manager.attributesOfItem(atPath: url.path), attributes[.type] as? FileAttributeType == .typeRegular,
                    manager.isExecutableFile(atPath: url.path)
                else { continue }
                let size = (attributes[.size] as? Int) ?? 0
                let modified = (attributes[.modificationDate] as? Date) ?? .distantPast
                if let entry = known[url.path], entry.size == size, entry.modified == modified {
                    found[url.path] = entry
                    continue
                }
                let launch = ScriptLaunch(executable: url.path, arguments: [], workingDirectory: folder.deletingLastPathComponent().path)
                var entry = ExecutableEntry(size: size, modified: modified)
                do {
                    let descriptor = try await ExecutableModules.describe(launch, name: "\(category).\(name)")
                    entry.module = ScriptModule(descriptor: descriptor, launch: launch)
                } catch let problem as ModuleProblem {
                    entry.problem = problem
                    logger.warning("executable module not usable", metadata: ["path": "\(url.path)", "problem": "\(problem)"])
                } catch {
                    entry.problem = ModuleProblem(kind: "describe", message: "\(error)")
                }
                found[url.path] = entry
            }
        }
        return found
    }

    /// The executables found in the modules folder with what is wrong with the ones that do not answer.
    public func executableModules() -> [(path: String, name: String?, problem: ModuleProblem?)] {
        state.withLock { state in
            state.executables.sorted { $0.key < $1.key }.map { ($0.key, $0.value.module?.descriptor.name, $0.value.problem) }
        }
    }
}

/// One at a time, in arrival order.
final class AsyncGate: Sendable {
    private let state = Mutex<(busy: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func enter() async {
        let mustWait = state.withLock { state -> Bool in
            if !state.busy {
                state.busy = true
                return false
            }
            return true
        }
        guard mustWait else { return }
        await withCheckedContinuation { continuation in
            let runNow = state.withLock { state -> Bool in
                if !state.busy {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if runNow { continuation.resume() }
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
