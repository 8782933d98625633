import ArgumentParser

/// `workflow schedule enable FLOW NAME`
struct ScheduleEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable", abstract: "Enable a schedule; it plans from now on, without catching up the time it was disabled.",
        discussion: "Example:\n  workflow schedule enable nightly-backup nightly")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The workflow's name.", valueName: "FLOW")) var flow: String
    @Argument(help: ArgumentHelp("The schedule's name.", valueName: "NAME")) var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            try await context.setScheduleEnabled(true, flow: flow, name: name)
        }
    }
}
