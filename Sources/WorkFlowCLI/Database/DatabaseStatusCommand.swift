import ArgumentParser
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow db status`
struct DatabaseStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "List the database's migrations and when each was applied.",
        discussion: "Example:\n  workflow db status")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await CommandContext.with(global) { context in
            let status = try await context.store.migrationStatus()
            context.output(
                .array(
                    status.map {
                        ["name": .string($0.name), "applied": .bool($0.isApplied), "applied_at": $0.appliedAt.map { .string(Presentation.timestamp($0)) } ?? .null]
                    })
            ) {
                let text = "database: \(CommandContext.redacted(context.configuration.effectiveDatabaseURL))\n\n"
                var table = TextTable(["MIGRATION", "APPLIED"])
                for m in status { table.append([m.name, m.appliedAt.map { context.display($0) } ?? "pending"]) }
                return text + table.render()
            }
        }
    }
}
