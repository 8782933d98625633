import ArgumentParser
import WorkFlowServer
import WorkFlowStore

/// `workflow flow rename OLD NEW`
struct FlowRenameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename", abstract: "Rename a stored workflow; its versions and runs follow it.",
        discussion: "Example:\n  workflow flow rename backup nightly-backup")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The current name.") var current: String
    @Argument(help: "The new name.") var new: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            let flow = try await context.store.renameFlow(from: current, to: new, author: CommandAuthor.current)
            context.output(Presentation.json(flow, document: false)) { "Renamed '\(current)' to '\(flow.name)'.\n" }
        }
    }
}
