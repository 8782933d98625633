import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@Suite("system settings")
struct SystemSettingTests {
    @Test("command-line values are parsed and checked, and errors name the setting")
    func parsing() throws {
        #expect(try SystemSetting.timezone.value(parsing: "Europe/Berlin") == "Europe/Berlin")
        #expect(try SystemSetting.logRetentionDays.value(parsing: " 90 ") == 90)
        #expect(throws: SystemSettingError(setting: .timezone, problem: "'Mars/Olympus' is not a known time zone")) {
            try SystemSetting.timezone.value(parsing: "Mars/Olympus")
        }
        #expect(throws: SystemSettingError(setting: .logRetentionDays, problem: "'soon' is not a whole number")) {
            try SystemSetting.logRetentionDays.value(parsing: "soon")
        }
        let zero = SystemSettingError(setting: .logRetentionDays, problem: "0 is outside 1...36500")
        #expect(throws: zero) { try SystemSetting.logRetentionDays.value(parsing: "0") }
        #expect(zero.description == "setting 'log.retention_days': 0 is outside 1...36500 (expected a whole number of days from 1 to 36500)")
        #expect(throws: SystemSettingError(setting: .timezone, problem: "must be a string")) {
            try SystemSetting.timezone.value(checking: 5)
        }
    }

    @Test("stored settings win over the defaults; invalid stored values are skipped")
    func effective() throws {
        let defaults = EffectiveSettings(timeZone: .gmt, logRetentionDays: 30)
        #expect(defaults.applying([:]) == defaults)
        let applied = defaults.applying(["timezone": "Asia/Kolkata", "log.retention_days": 7, "other": true])
        #expect(applied == EffectiveSettings(timeZone: try #require(TimeZone(identifier: "Asia/Kolkata")), logRetentionDays: 7))
        #expect(defaults.applying(["timezone": "Nowhere/Land", "log.retention_days": -1]) == defaults)
    }
}
