import Foundation
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// How stored workflows look in `--json` output and in text.
enum FlowPresentation {
    static func json(_ flow: StoredFlow, document: Bool = true) -> JSONValue {
        var object: JSONObject = [
            "name": .string(flow.name),
            "enabled": .bool(flow.enabled),
            "deleted": .bool(flow.deleted),
            "version": .int(flow.currentVersion),
            "created_at": .string(RunReport.timestamp(flow.createdAt)),
            "updated_at": .string(RunReport.timestamp(flow.updatedAt)),
        ]
        if document { object["document"] = .object(flow.document) }
        return .object(object)
    }

    static func json(_ version: FlowVersion, document: Bool = true) -> JSONValue {
        var object: JSONObject = [
            "name": .string(version.flowName),
            "version": .int(version.number),
            "author": version.author.map(JSONValue.string) ?? .null,
            "comment": version.comment.map(JSONValue.string) ?? .null,
            "created_at": .string(RunReport.timestamp(version.createdAt)),
        ]
        if document { object["document"] = .object(version.document) }
        return .object(object)
    }
}

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
