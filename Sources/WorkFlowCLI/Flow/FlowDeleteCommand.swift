import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow flow delete NAME`
struct FlowDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a stored workflow (kept, hidden and renamed, as the seed did).",
        discussion: "The workflow is renamed to <name>_<time>_deleted, which frees its name; its history stays.\n\nExample:\n  workflow flow delete old-report")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            let renamed = try await context.store.deleteFlow(name: name, author: CommandAuthor.current)
            context.output(["status": true, "name": .string(name), "deleted_as": .string(renamed)]) {
                "Deleted workflow '\(name)' (kept as '\(renamed)').\n"
            }
        }
    }
}
