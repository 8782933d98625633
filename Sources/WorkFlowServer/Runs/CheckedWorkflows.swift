import Synchronization
import WorkFlowEngine

/// Workflow documents already read and validated, so that the runs of a workflow that does not
/// change do not read and validate the same document again for every run (twice: when queued and
/// when executed). An entry is keyed by the workflow's name and version and used only when its
/// document is still equal to the one asked about and the modules have not been reloaded since.
final class CheckedWorkflows: Sendable {
    /// Beyond this many documents the cache starts afresh.
    static let capacity = 256

    private struct Entry {
        var document: JSONObject
        var workflow: Workflow
        var issues: [ValidationIssue]
        /// The module registry the issues were found with.
        var generation: Int
    }

    private let modules: ModuleLibrary
    private let entries = Mutex<[String: Entry]>([:])

    init(modules: ModuleLibrary) {
        self.modules = modules
    }

    /// The workflow read from `document`, and its validation problems.
    func check(_ document: JSONObject, flowName: String, version: Int?) -> (workflow: Workflow, issues: [ValidationIssue]) {
        let key = "\(version ?? 0)@\(flowName)"
        let (registry, generation) = modules.registryWithGeneration()
        if let entry = entries.withLock({ $0[key] }), entry.document == document, entry.generation == generation {
            return (entry.workflow, entry.issues)
        }
        let workflow = Workflow(document: .object(document))
        let issues = workflow.validate(registry: registry)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(document: document, workflow: workflow, issues: issues, generation: generation)
        }
        return (workflow, issues)
    }

    /// Like ``check(_:flowName:version:)``, but when the workflow names modules this node does not
    /// know (created on another node, or just now), reloads the custom modules and checks again.
    func checkLoadingModules(_ document: JSONObject, flowName: String, version: Int?) async -> (workflow: Workflow, issues: [ValidationIssue]) {
        let first = check(document, flowName: flowName, version: version)
        guard !first.issues.isEmpty else { return first }
        let registry = modules.registry()
        let unknown = first.workflow.procedures.contains { !$0.mod.isEmpty && registry.module(named: $0.mod) == nil }
        guard unknown else { return first }
        _ = await modules.registry(for: first.workflow)
        return check(document, flowName: flowName, version: version)
    }
}
