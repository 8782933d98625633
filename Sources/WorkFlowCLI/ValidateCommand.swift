import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowModules

/// `workflow validate FILE`
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a workflow file without running it; every problem is listed with its JSON path.",
        discussion: "Exit status: 0 when valid, 2 when not."
    )

    @Argument(help: "The workflow JSON file to check.")
    var file: String

    @Flag(help: "Print {\"valid\": ..., \"errors\": [{\"path\", \"message\"}]} instead of text.")
    var json = false

    func run() async throws {
        let code = ValidateCommand.check(file: file, json: json, registry: BuiltinModules.registry(), console: CommandIO.console)
        if code != 0 { throw ExitCode(code) }
    }

    /// Checks the file and prints the verdict; returns the exit status.
    static func check(file: String, json: Bool, registry: ModuleRegistry, console: any Console) -> Int32 {
        var issues: [ValidationIssue]
        var steps = 0
        do {
            let workflow = try WorkflowFile.load(file)
            steps = workflow.procedures.count
            issues = workflow.validate(registry: registry)
        } catch {
            issues = error.issues.isEmpty ? [ValidationIssue(path: "file", message: error.description)] : error.issues
        }
        if json {
            let report: JSONValue = [
                "valid": .bool(issues.isEmpty),
                "errors": .array(issues.map { ["path": .string($0.path), "message": .string($0.message)] }),
            ]
            console.out(JSONWriter.prettyString(from: report) + "\n")
        } else if issues.isEmpty {
            console.out("\(file) is valid: \(steps) step\(steps == 1 ? "" : "s")\n")
        } else {
            console.err(describe(issues, file: file))
        }
        return issues.isEmpty ? 0 : WorkFlowCommand.invalidExitCode
    }

    static func describe(_ issues: [ValidationIssue], file: String) -> String {
        var text = "\(file) is not a valid workflow (\(issues.count) problem\(issues.count == 1 ? "" : "s")):\n"
        for issue in issues { text += "  \(issue.path): \(issue.message)\n" }
        return text
    }
}
