import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow flow list`
struct FlowListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List stored workflows.",
        discussion: "Examples:\n  workflow flow list\n  workflow flow list --search nightly --enabled\n  workflow flow list --json")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only workflows whose name contains this text.") var search: String?
    @Flag(help: "Only enabled workflows.") var enabled = false
    @Flag(help: "Only disabled workflows.") var disabled = false
    @Flag(help: "Include deleted workflows.") var deleted = false
    @Option(help: "How many to show.") var limit = 100
    @Option(help: "How many to skip.") var offset = 0

    func validate() throws {
        if enabled && disabled { throw ValidationError("choose one of --enabled and --disabled") }
        if limit < 1 { throw ValidationError("--limit must be 1 or more") }
        if offset < 0 { throw ValidationError("--offset must be 0 or more") }
    }

    func run() async throws {
        try await CommandContext.with(global) { context in
            let query = FlowQuery(
                text: search, enabled: enabled ? true : (disabled ? false : nil), includeDeleted: deleted, limit: limit, offset: offset)
            let flows = try await context.store.listFlows(query)
            context.output(.array(flows.map { Presentation.json($0, document: false) })) {
                var table = TextTable(["NAME", "ENABLED", "VERSION", "STEPS", "UPDATED"])
                for flow in flows {
                    let steps = flow.document["procedures"]?.arrayValue?.count ?? 0
                    table.append([
                        flow.name + (flow.deleted ? " (deleted)" : ""), flow.enabled ? "yes" : "no", "\(flow.currentVersion)", "\(steps)",
                        context.display(flow.updatedAt),
                    ])
                }
                return table.render(empty: "No workflows.")
            }
        }
    }
}
