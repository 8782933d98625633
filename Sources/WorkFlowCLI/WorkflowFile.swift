import Foundation
import WorkFlowEngine

/// A workflow file that cannot be used, with the message to show.
struct WorkflowFileError: Error, CustomStringConvertible {
    var description: String
    /// Document problems, when the file was read but is not a valid workflow.
    var issues: [ValidationIssue] = []
}

/// Reads workflow files for the commands.
enum WorkflowFile {
    /// Reads and parses `path` (JSON, with JSON5 comments and trailing commas allowed).
    static func load(_ path: String) throws(WorkflowFileError) -> Workflow {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw WorkflowFileError(description: "\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw WorkflowFileError(description: "\(path): is a directory, not a workflow file") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw WorkflowFileError(description: "\(path): cannot be read (\(error.localizedDescription))")
        }
        do {
            return Workflow(document: try JSONParser(allowsJSON5: true).parse(data))
        } catch {
            let issue = ValidationIssue(path: "document", message: "not valid JSON: \(error.description)")
            throw WorkflowFileError(description: "\(path): not valid JSON: \(error.description)", issues: [issue])
        }
    }
}
