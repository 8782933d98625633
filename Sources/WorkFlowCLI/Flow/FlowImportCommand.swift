import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow import FILE [--name NAME] [--replace]`
struct FlowImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Store a workflow from an exported file (its \"name\" key, or --name).",
        discussion: "Examples:\n  workflow flow import backup.json\n  workflow flow import backup.json --name backup-copy\n  workflow flow import backup.json --replace")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The exported JSON file.") var file: String
    @Option(help: "Store under this name instead of the file's \"name\".") var name: String?
    @Flag(help: "Update the workflow (a new version) when one with that name exists.") var replace = false

    func run() async throws {
        try await CommandContext.with(global) { context in
            let workflow: Workflow
            let document: JSONObject
            do throws(WorkflowFileError) {
                workflow = try WorkflowFile.load(file)
                document = try FlowDocumentInput.check(workflow, source: file, registry: context.registry)
            } catch {
                throw context.fail(error.description.trimmingCharacters(in: .newlines), code: WorkFlowCommand.invalidExitCode)
            }
            guard let target = name ?? workflow.document["name"]?.stringValue else {
                throw context.fail("\(file) has no \"name\"; give one with --name", code: WorkFlowCommand.invalidExitCode)
            }
            let flow: StoredFlow
            if replace, let existing = try await context.store.flow(named: target) {
                // Importing the same document again is a no-op, not a new version.
                if existing.document == document {
                    context.output(Presentation.json(existing, document: false)) {
                        "'\(existing.name)' is unchanged (version \(existing.currentVersion)).\n"
                    }
                    return
                }
                flow = try await context.store.updateFlow(name: target, document: document, author: CommandAuthor.current, comment: "imported from \(file)")
            } else {
                flow = try await context.store.createFlow(name: target, document: document, author: CommandAuthor.current, comment: "imported from \(file)")
            }
            context.output(Presentation.json(flow, document: false)) { "Imported '\(flow.name)' (version \(flow.currentVersion)).\n" }
        }
    }
}
