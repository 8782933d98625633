import ArgumentParser

/// `workflow`: run, check and inspect workflows.
public struct WorkFlowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Define, run and inspect workflows.",
        subcommands: []
    )

    public init() {}
}
