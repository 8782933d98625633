import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow create NAME FILE`
struct FlowCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Store a new workflow from a JSON file (version 1).",
        discussion: "The document is validated first; nothing is stored when it has problems.\n\nExample:\n  workflow flow create nightly-backup backup.json --comment 'first version'")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The new workflow's name.") var name: String
    @Argument(help: "The workflow JSON file.") var file: String
    @Option(help: "A note for the version history.") var comment: String?

    func run() async throws {
        try await CommandContext.with(global) { context in
            let document = try context.validatedDocument(file: file)
            let flow = try await context.store.createFlow(name: name, document: document, author: CommandAuthor.current, comment: comment)
            context.output(Presentation.json(flow, document: false)) { "Created workflow '\(flow.name)' (version \(flow.currentVersion)).\n" }
        }
    }
}
