import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow settings get KEY`
struct SettingsGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print the value in force for one system setting.",
        discussion: "Examples:\n  workflow settings get timezone\n  workflow settings get log.retention_days --json")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The setting.", valueName: "KEY"))
    var key: SystemSetting

    func run() async throws {
        try await CommandContext.with(global) { context in
            let (value, source) = context.effective(key, stored: try await context.store.settings())
            context.output(["key": .string(key.rawValue), "value": value, "source": .string(source)]) {
                if case .string(let text) = value { return text + "\n" }
                return JSONWriter.string(from: value) + "\n"
            }
        }
    }
}
