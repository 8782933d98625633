import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow update NAME FILE`
struct FlowUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Replace a stored workflow's document (a new version).",
        discussion: "Example:\n  workflow flow update nightly-backup backup.json --comment 'retry the upload'")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String
    @Argument(help: "The workflow JSON file.") var file: String
    @Option(help: "A note for the version history.") var comment: String?

    func run() async throws {
        try await CommandContext.with(global) { context in
            let document = try context.validatedDocument(file: file)
            let flow = try await context.store.updateFlow(name: name, document: document, author: CommandAuthor.current, comment: comment)
            context.output(Presentation.json(flow, document: false)) { "Updated workflow '\(flow.name)' (version \(flow.currentVersion)).\n" }
        }
    }
}
