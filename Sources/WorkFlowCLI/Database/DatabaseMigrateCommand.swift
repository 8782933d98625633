import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow db migrate`
struct DatabaseMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending migrations (every command also does this when it opens the database).",
        discussion: "Example:\n  workflow db migrate --db-url postgres://workflow:secret@127.0.0.1:5432/workflow")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await CommandContext.with(global) { context in
            let status = try await context.store.migrationStatus()
            let pending = status.filter { !$0.isApplied }.map(\.name)
            // Opening the store applied what was pending; report the schema as it now stands.
            context.output(["status": true, "applied": .int(status.count - pending.count), "pending": .array(pending.map(JSONValue.string))]) {
                "The database \(CommandContext.redacted(context.configuration.effectiveDatabaseURL)) is up to date (\(status.count) migrations).\n"
            }
        }
    }
}
