import Foundation
import WorkFlowCron

/// A schedule setting that was refused: the field and what is wrong with it.
public struct ScheduleSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `cron`, `timezone`, `overlap` or `misfire`.
    public var field: String
    public var problem: String

    public var description: String { "\(field): \(problem)" }
}

extension ScheduleSettings {
    /// The schedule as the planner reads it, or the first setting that is not valid.
    public func cronSchedule() throws(ScheduleSettingsError) -> CronSchedule {
        let expression: CronExpression
        do {
            expression = try CronExpression(cron)
        } catch {
            throw ScheduleSettingsError(field: "cron", problem: error.description)
        }
        guard let zone = TimeZone(identifier: timeZone) else {
            throw ScheduleSettingsError(
                field: "timezone", problem: "'\(timeZone)' is not a known time zone (use an IANA name such as UTC or Europe/Berlin)")
        }
        return CronSchedule(expression: expression, timeZone: zone, isEnabled: enabled, overlapPolicy: overlap, misfirePolicy: misfire)
    }

    /// The overlap policy named `text`, or an error listing the accepted names.
    public static func overlap(named text: String) throws(ScheduleSettingsError) -> OverlapPolicy {
        guard let policy = OverlapPolicy(rawValue: text) else {
            throw ScheduleSettingsError(field: "overlap", problem: "'\(text)' is not one of \(Self.names(OverlapPolicy.self))")
        }
        return policy
    }

    /// The misfire policy named `text`, or an error listing the accepted names.
    public static func misfire(named text: String) throws(ScheduleSettingsError) -> MisfirePolicy {
        guard let policy = MisfirePolicy(rawValue: text) else {
            throw ScheduleSettingsError(field: "misfire", problem: "'\(text)' is not one of \(Self.names(MisfirePolicy.self))")
        }
        return policy
    }

    private static func names<P: CaseIterable & RawRepresentable>(_: P.Type) -> String where P.RawValue == String {
        P.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

extension StoredSchedule {
    /// The next `count` fire times after `now` (and after what is already planned), none when
    /// the schedule is disabled or its settings no longer read.
    public func nextFireTimes(after now: Date, count: Int = 5) -> [Date] {
        guard settings.enabled, let schedule = try? settings.cronSchedule() else { return [] }
        return schedule.expression.nextFires(after: max(now, plannedThrough), count: count, in: schedule.timeZone)
    }
}
