import ArgumentParser
import WorkFlowServer
import WorkFlowEngine
import WorkFlowStore

/// `workflow runs list`
struct RunsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List runs, newest first.",
        discussion: "Examples:\n  workflow runs list\n  workflow runs list --flow nightly-backup --status failed\n  workflow runs list --json")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only runs of this workflow.") var flow: String?
    @Option(help: "Only runs with this status (queued, running, success, failed, cancelled).") var status: String?
    @Option(help: "How many to show.") var limit = 50
    @Option(help: "How many to skip.") var offset = 0

    func validate() throws {
        if let status, RunStatus(rawValue: status) == nil {
            throw ValidationError("--status: unknown status '\(status)' (use \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if limit < 1 { throw ValidationError("--limit must be 1 or more") }
        if offset < 0 { throw ValidationError("--offset must be 0 or more") }
    }

    func run() async throws {
        try await CommandContext.with(global) { context in
            let runs = try await context.store.listRuns(
                RunQuery(flowName: flow, status: status.flatMap(RunStatus.init(rawValue:)), limit: limit, offset: offset))
            context.output(.array(runs.map { Presentation.json($0) })) {
                var table = TextTable(["ID", "WORKFLOW", "STATUS", "STARTED", "DURATION", "TRIGGER"])
                for run in runs {
                    table.append([
                        "\(run.id)", run.flowName, run.status.rawValue, context.display(run.startedAt ?? run.createdAt),
                        run.durationMs.map { ProgressPrinter.duration($0) } ?? "-", run.trigger.rawValue + (run.triggeredBy.map { " (\($0))" } ?? ""),
                    ])
                }
                return table.render(empty: "No runs.")
            }
        }
    }
}
