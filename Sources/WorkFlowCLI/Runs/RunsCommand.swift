import ArgumentParser

/// `workflow runs ...`: the run history.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List past and running runs, and show one in detail.",
        subcommands: [RunsListCommand.self, RunsShowCommand.self]
    )
}
