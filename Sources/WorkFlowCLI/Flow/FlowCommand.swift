import ArgumentParser

/// `workflow flow ...`: manage stored workflows and their versions.
struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Manage stored workflows and their versions.",
        subcommands: [
            FlowListCommand.self, FlowShowCommand.self, FlowCreateCommand.self, FlowUpdateCommand.self,
            FlowRenameCommand.self, FlowDeleteCommand.self, FlowEnableCommand.self, FlowDisableCommand.self,
            FlowExportCommand.self, FlowImportCommand.self, FlowVersionsCommand.self, FlowDiffCommand.self,
            FlowRestoreCommand.self,
        ]
    )
}
