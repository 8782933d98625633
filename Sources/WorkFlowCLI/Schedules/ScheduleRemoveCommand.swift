import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow schedule remove FLOW NAME`
struct ScheduleRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a schedule; the runs it started stay.",
        discussion: "Example:\n  workflow schedule remove nightly-backup nightly")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The workflow's name.", valueName: "FLOW")) var flow: String
    @Argument(help: ArgumentHelp("The schedule's name.", valueName: "NAME")) var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            try await context.store.deleteSchedule(flowName: flow, name: name)
            context.output(["status": true, "flow": .string(flow), "name": .string(name)]) {
                "Schedule '\(name)' removed from workflow '\(flow)'.\n"
            }
        }
    }
}
