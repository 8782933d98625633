import ArgumentParser
import WorkFlowServer
import WorkFlowStore

/// `workflow flow enable NAME`
struct FlowEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable", abstract: "Enable a stored workflow.",
        discussion: "Example:\n  workflow flow enable nightly-backup")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            let flow = try await context.store.setEnabled(name: name, enabled: true, author: CommandAuthor.current)
            context.output(Presentation.json(flow, document: false)) { "Workflow '\(flow.name)' is enabled.\n" }
        }
    }
}
