import WorkFlowCLI

await WorkFlowCommand.runMain()
