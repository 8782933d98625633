import ArgumentParser

/// `workflow db ...`: the database schema.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Apply and inspect the database's migrations.",
        subcommands: [DatabaseMigrateCommand.self, DatabaseStatusCommand.self]
    )
}
