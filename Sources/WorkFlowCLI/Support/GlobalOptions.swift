import ArgumentParser
import Foundation
import WorkFlowConfig

/// Options every command that touches stored data accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("Configuration file (default: etc/global.json when present).", valueName: "FILE"))
    var configFile: String?

    @Option(name: .customLong("home"), help: ArgumentHelp("Data folder (default: $WORKFLOW_HOME or ./var).", valueName: "DIR"))
    var home: String?

    @Option(name: .customLong("db-url"), help: ArgumentHelp("Database: sqlite:///path.db or postgres://user:pass@host:port/db.", valueName: "URL"))
    var databaseURL: String?

    @Flag(name: .customLong("json"), help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Also print informational log lines on standard error.")
    var verbose = false

    var overrides: ConfigurationLoader.Overrides {
        ConfigurationLoader.Overrides(home: home, databaseURL: databaseURL)
    }
}
