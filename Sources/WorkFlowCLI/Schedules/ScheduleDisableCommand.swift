import ArgumentParser

/// `workflow schedule disable FLOW NAME`
struct ScheduleDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a schedule: it fires no more until enabled again.",
        discussion: "Example:\n  workflow schedule disable nightly-backup nightly")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The workflow's name.", valueName: "FLOW")) var flow: String
    @Argument(help: ArgumentHelp("The schedule's name.", valueName: "NAME")) var name: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            try await context.setScheduleEnabled(false, flow: flow, name: name)
        }
    }
}
