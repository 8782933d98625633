import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow versions NAME`
struct FlowVersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions", abstract: "List a workflow's versions, newest first.",
        discussion: "Example:\n  workflow flow versions nightly-backup")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow's name.") var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            let versions = try await context.store.versions(of: name)
            context.output(.array(versions.map { Presentation.json($0, document: false) })) {
                var table = TextTable(["VERSION", "TIME", "AUTHOR", "COMMENT"])
                for v in versions {
                    table.append(["\(v.number)", context.display(v.createdAt), v.author ?? "-", v.comment ?? ""])
                }
                return table.render(empty: "No versions.")
            }
        }
    }
}
