import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow settings set KEY VALUE`
struct SettingsSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Store a system setting; it applies from the next command on.",
        discussion: "Examples:\n  workflow settings set timezone Europe/Berlin\n  workflow settings set log.retention_days 90")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The setting.", valueName: "KEY"))
    var key: SystemSetting

    @Argument(help: ArgumentHelp("The new value.", valueName: "VALUE"))
    var value: String

    func run() async throws {
        try await CommandContext.with(global) { context in
            let parsed: JSONValue
            do throws(SystemSettingError) {
                parsed = try key.value(parsing: value)
            } catch {
                throw context.fail(error.description, code: WorkFlowCommand.invalidExitCode)
            }
            let previous = context.effective(key, stored: try await context.store.settings()).value
            try await context.store.setSetting(key.rawValue, to: parsed)
            context.output(["status": true, "key": .string(key.rawValue), "value": parsed, "previous": previous]) {
                "\(key.rawValue): \(JSONWriter.string(from: previous)) -> \(JSONWriter.string(from: parsed))\n"
            }
        }
    }
}
