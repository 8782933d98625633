import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow runs show ID`
struct RunsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one run: its steps, results, errors and logs.",
        discussion: "Examples:\n  workflow runs show 42\n  workflow runs show 42 --json")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run's id.") var id: Int64
    @Flag(help: "Also print each step's log lines.") var logs = false

    func run() async throws {
        try await CommandContext.with(global) { context in
            guard let run = try await context.store.run(id: id) else {
                throw context.fail("no run with id \(id)")
            }
            let steps = try await context.store.steps(runID: id)
            context.output(Presentation.json(run, steps: steps)) {
                var text = "run \(run.id): \(run.flowName)\(run.flowVersion.map { " (version \($0))" } ?? "") — \(run.status.rawValue)\n"
                text += "started \(context.display(run.startedAt ?? run.createdAt))"
                if let ms = run.durationMs { text += ", took \(ProgressPrinter.duration(ms))" }
                text += ", trigger \(run.trigger.rawValue)\(run.triggeredBy.map { " by \($0)" } ?? "")\n"
                if let error = run.error { text += "error: \(error)\n" }
                text += "\n"
                var table = TextTable(["#", "STEP", "MODULE", "STATUS", "ATTEMPTS", "DURATION"])
                for step in steps {
                    table.append([
                        "\(step.order)", step.name, "\(step.module).\(step.method)", step.status.rawValue, "\(step.attempts)",
                        step.durationMs.map { ProgressPrinter.duration($0) } ?? "-",
                    ])
                }
                text += table.render(empty: "No steps.")
                for step in steps where step.error != nil || (logs && !step.logs.isEmpty) {
                    text += "\n\(step.name):\n"
                    if let error = step.error { text += "  error: \(error)\n" }
                    if logs {
                        for line in step.logs { text += "  \(context.display(line.time)) \(line.level.rawValue.uppercased()) \(line.message)\n" }
                    }
                }
                return text
            }
        }
    }
}
