import ArgumentParser
import WorkFlowServer
import WorkFlowStore

/// `workflow flow disable NAME`
struct FlowDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a stored workflow.",
        discussion: "Example:\n  workflow flow disable nightly-backup")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            let flow = try await context.store.setEnabled(name: name, enabled: false, author: CommandAuthor.current)
            context.output(Presentation.json(flow, document: false)) { "Workflow '\(flow.name)' is disabled.\n" }
        }
    }
}
