import Foundation
import WorkFlowEngine

/// The system settings people may change at run time (from the CLI, and later the web UI), stored
/// in the settings table. Each overrides a configuration default for the whole system.
///
/// - `timezone`: the zone times are shown in (tables, the UI); stored times stay UTC. The seed's
///   System → Timezone page kept the same key.
/// - `log.retention_days`: how many days of system log lines the janitor keeps.
public enum SystemSetting: String, Sendable, CaseIterable {
    case timezone
    case logRetentionDays = "log.retention_days"

    /// What the value must be, for help texts and errors.
    public var expectation: String {
        switch self {
        case .timezone: "an IANA time zone such as UTC, Europe/Berlin or America/New_York"
        case .logRetentionDays: "a whole number of days from 1 to 36500"
        }
    }

    /// One line on what the setting does.
    public var summary: String {
        switch self {
        case .timezone: "the time zone times are shown in (stored times stay UTC)"
        case .logRetentionDays: "days of system log lines the janitor keeps"
        }
    }

    /// The value to store for `text` as typed on a command line, or an error that names the
    /// setting and what it expects.
    public func value(parsing text: String) throws(SystemSettingError) -> JSONValue {
        switch self {
        case .timezone:
            return try value(checking: .string(text))
        case .logRetentionDays:
            guard let days = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw SystemSettingError(setting: self, problem: "'\(text)' is not a whole number")
            }
            return try value(checking: .int(days))
        }
    }

    /// `value` when it is valid for this setting (the API accepts JSON values), else an error.
    public func value(checking value: JSONValue) throws(SystemSettingError) -> JSONValue {
        switch self {
        case .timezone:
            guard case .string(let identifier) = value else {
                throw SystemSettingError(setting: self, problem: "must be a string")
            }
            guard TimeZone(identifier: identifier) != nil else {
                throw SystemSettingError(setting: self, problem: "'\(identifier)' is not a known time zone")
            }
            return value
        case .logRetentionDays:
            guard case .int(let days) = value else {
                throw SystemSettingError(setting: self, problem: "must be a whole number")
            }
            guard (1...36_500).contains(days) else {
                throw SystemSettingError(setting: self, problem: "\(days) is outside 1...36500")
            }
            return value
        }
    }
}

/// A setting value that was refused, with the reason.
public struct SystemSettingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var setting: SystemSetting
    public var problem: String

    public init(setting: SystemSetting, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String {
        "setting '\(setting.rawValue)': \(problem) (expected \(setting.expectation))"
    }
}

/// The system settings in force: the stored ones over the configuration's defaults.
public struct EffectiveSettings: Sendable, Hashable {
    public var timeZone: TimeZone
    public var logRetentionDays: Int

    public init(timeZone: TimeZone, logRetentionDays: Int) {
        self.timeZone = timeZone
        self.logRetentionDays = logRetentionDays
    }

    /// The defaults with every valid stored setting applied. A stored value that is no longer
    /// valid (a time zone the system stopped knowing) is skipped, as the seed fell back to UTC.
    public func applying(_ stored: [String: JSONValue]) -> EffectiveSettings {
        var settings = self
        if let value = stored[SystemSetting.timezone.rawValue],
            case .string(let identifier)? = try? SystemSetting.timezone.value(checking: value),
            let zone = TimeZone(identifier: identifier)
        {
            settings.timeZone = zone
        }
        if let value = stored[SystemSetting.logRetentionDays.rawValue],
            case .int(let days)? = try? SystemSetting.logRetentionDays.value(checking: value)
        {
            settings.logRetentionDays = days
        }
        return settings
    }
}
