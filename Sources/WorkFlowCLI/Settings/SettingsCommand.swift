import ArgumentParser
import WorkFlowEngine
import WorkFlowStore

/// `workflow settings ...`: the system settings kept in the database.
struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Show and change the system settings kept in the database.",
        discussion: """
            Stored settings apply to the whole system and win over the configuration's defaults:
            \(SystemSetting.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
            """,
        subcommands: [SettingsListCommand.self, SettingsGetCommand.self, SettingsSetCommand.self, SettingsUnsetCommand.self]
    )
}

extension SystemSetting: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument)
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension CommandContext {
    /// The value in force for `setting`, and where it comes from.
    func effective(_ setting: SystemSetting, stored: [String: JSONValue]) -> (value: JSONValue, source: String) {
        if let value = stored[setting.rawValue], (try? setting.value(checking: value)) != nil {
            return (value, "stored")
        }
        let value: JSONValue =
            switch setting {
            case .timezone: .string(configuration.timezone)
            case .logRetentionDays: .int(configuration.log.retentionDays)
            }
        return (value, "configuration")
    }
}
