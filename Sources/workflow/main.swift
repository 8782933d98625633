import WorkFlowCLI

await WorkFlowCommand.main()
