import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow show NAME`
struct FlowShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a stored workflow and its document.",
        discussion: "Examples:\n  workflow flow show nightly-backup\n  workflow flow show nightly-backup --json")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            guard let flow = try await context.store.flow(named: name) else {
                throw context.fail("no workflow named '\(name)'")
            }
            context.output(Presentation.json(flow)) {
                var text = "name:     \(flow.name)\n"
                text += "enabled:  \(flow.enabled ? "yes" : "no")\n"
                text += "version:  \(flow.currentVersion)\n"
                text += "created:  \(context.display(flow.createdAt))\n"
                text += "updated:  \(context.display(flow.updatedAt))\n\n"
                return text + JSONWriter.prettyString(from: .object(flow.document)) + "\n"
            }
        }
    }
}
