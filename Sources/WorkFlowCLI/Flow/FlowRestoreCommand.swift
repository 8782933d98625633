import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow restore NAME V`
struct FlowRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Make an earlier version current again (as a new version).",
        discussion: "Example:\n  workflow flow restore nightly-backup 2")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String
    @Argument(help: "The version to restore.") var version: Int

    func run() async throws {
        try await CommandContext.with(global) { context in
            let flow = try await context.store.restoreVersion(version, of: name, author: CommandAuthor.current)
            context.output(Presentation.json(flow, document: false)) {
                "Restored version \(version) of '\(flow.name)' as version \(flow.currentVersion).\n"
            }
        }
    }
}
