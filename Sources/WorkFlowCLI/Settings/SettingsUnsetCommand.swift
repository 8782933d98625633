import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow settings unset KEY`
struct SettingsUnsetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unset", abstract: "Remove a stored system setting; the configuration's default applies again.",
        discussion: "Example:\n  workflow settings unset timezone")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The setting.", valueName: "KEY"))
    var key: SystemSetting

    func run() async throws {
        try await CommandContext.with(global) { context in
            let removed = try await context.store.removeSetting(key.rawValue)
            let now = context.effective(key, stored: [:]).value
            context.output(["status": true, "key": .string(key.rawValue), "removed": .bool(removed), "value": now]) {
                removed
                    ? "\(key.rawValue): removed; the configuration's \(JSONWriter.string(from: now)) applies\n"
                    : "\(key.rawValue): was not stored; the configuration's \(JSONWriter.string(from: now)) applies\n"
            }
        }
    }
}
