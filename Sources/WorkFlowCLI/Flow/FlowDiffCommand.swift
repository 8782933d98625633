import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow flow diff NAME V1 V2`
struct FlowDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Show what changed between two versions of a workflow.",
        discussion: "Example:\n  workflow flow diff nightly-backup 1 3")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String
    @Argument(help: "The older version.") var from: Int
    @Argument(help: "The newer version.") var to: Int

    func run() async throws {
        try await CommandContext.with(global) { context in
            let diff = try await context.store.diff(of: name, from: from, to: to)
            context.output(["name": .string(name), "from": .int(from), "to": .int(to), "diff": .string(diff)]) {
                diff.isEmpty ? "Versions \(from) and \(to) are the same.\n" : diff + (diff.hasSuffix("\n") ? "" : "\n")
            }
        }
    }
}
