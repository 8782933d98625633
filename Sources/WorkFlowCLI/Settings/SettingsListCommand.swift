import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow settings list`
struct SettingsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the system settings in force and where each comes from.",
        discussion: "Examples:\n  workflow settings list\n  workflow settings list --json")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await CommandContext.with(global) { context in
            let stored = try await context.store.settings()
            var rows: [(key: String, value: JSONValue, source: String, summary: String)] = SystemSetting.allCases.map { setting in
                let (value, source) = context.effective(setting, stored: stored)
                return (setting.rawValue, value, source, setting.summary)
            }
            // Keys the system does not use (from a seed backup, say) are shown as stored.
            for key in stored.keys.sorted() where SystemSetting(rawValue: key) == nil {
                rows.append((key, stored[key]!, "stored", "not used by this version"))
            }
            context.output(
                .array(
                    rows.map { ["key": .string($0.key), "value": $0.value, "source": .string($0.source)] })
            ) {
                var table = TextTable(["KEY", "VALUE", "SOURCE", "DESCRIPTION"])
                for row in rows { table.append([row.key, JSONWriter.string(from: row.value), row.source, row.summary]) }
                return table.render()
            }
        }
    }
}
