import Synchronization
import WorkFlowEngine

/// Workflow documents already read and validated, so that the runs of a workflow that does not
/// change do not read and validate the same document again for every run (twice: when queued and
/// when executed). An entry is keyed by the workflow's name and version and used only when its
/// document is still equal to the one asked about; the module registry is fixed for the life of
/// the server, so a validation outcome stays true.
final class CheckedWorkflows: Sendable {
    /// Beyond this many documents the cache starts afresh.
    static let capacity = 256

    private struct Entry {
        var document: JSONObject
        var workflow: Workflow
        var issues: [ValidationIssue]
    }

    private let registry: ModuleRegistry
    private let entries = Mutex<[String: Entry]>([:])

    init(registry: ModuleRegistry) {
        self.registry = registry
    }

    /// The workflow read from `document`, and its validation problems.
    func check(_ document: JSONObject, flowName: String, version: Int?) -> (workflow: Workflow, issues: [ValidationIssue]) {
        let key = "\(version ?? 0)@\(flowName)"
        if let entry = entries.withLock({ $0[key] }), entry.document == document {
            return (entry.workflow, entry.issues)
        }
        let workflow = Workflow(document: .object(document))
        let issues = workflow.validate(registry: registry)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(document: document, workflow: workflow, issues: issues)
        }
        return (workflow, issues)
    }
}
