import Foundation
import WorkFlowEngine
import WorkFlowModules
import WorkFlowServer
import WorkFlowStore

/// Reads a workflow document for `flow create`, `flow update` and `flow import`.
enum FlowDocumentInput {
    /// The document in `file` (JSON or JSON5), checked against the modules; every problem is reported.
    static func read(file: String, registry: ModuleRegistry) throws(WorkflowFileError) -> JSONObject {
        let workflow = try WorkflowFile.load(file)
        return try check(workflow, source: file, registry: registry)
    }

    static func check(_ workflow: Workflow, source: String, registry: ModuleRegistry) throws(WorkflowFileError) -> JSONObject {
        let issues = workflow.validate(registry: registry)
        guard issues.isEmpty else {
            throw WorkflowFileError(description: ValidateCommand.describe(issues, file: source), issues: issues)
        }
        var document = workflow.document
        // The seed's create/update requests carried the name inside the document; it is the key here.
        document.removeValue(forKey: "name")
        return document
    }
}

extension CommandContext {
    /// The validated document in `file`, or the end of the command: every problem is printed
    /// and the command exits 2.
    func validatedDocument(file: String) throws -> JSONObject {
        do throws(WorkflowFileError) {
            return try FlowDocumentInput.read(file: file, registry: registry)
        } catch {
            throw fail(error.description.trimmingCharacters(in: .newlines), code: WorkFlowCommand.invalidExitCode)
        }
    }
}
