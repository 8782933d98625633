import Foundation
import WorkFlowCron
import WorkFlowEngine
import WorkFlowStore

extension Presentation {
    /// A schedule as API v1 and `workflow schedule list --json` show it, with its next five fire
    /// times after `now` (UTC) and the instant it is planned through (`last_planned`).
    public static func json(_ schedule: StoredSchedule, now: Date) -> JSONValue {
        let settings = schedule.settings
        return [
            "flow": .string(schedule.flowName),
            "name": .string(schedule.name),
            "cron": .string(settings.cron),
            "cron_normalized": (try? CronExpression(settings.cron)).map { .string($0.description) } ?? .null,
            "timezone": .string(settings.timeZone),
            "enabled": .bool(settings.enabled),
            "overlap": .string(settings.overlap.rawValue),
            "misfire": .string(settings.misfire.rawValue),
            "next_fire_times": .array(schedule.nextFireTimes(after: now).map { .string(timestamp($0)) }),
            "last_planned": .string(timestamp(schedule.plannedThrough)),
            "backlog": .int(schedule.backlog),
            "created_at": .string(timestamp(schedule.createdAt)),
            "updated_at": .string(timestamp(schedule.updatedAt)),
            "created_by": schedule.createdBy.map(JSONValue.string) ?? .null,
            "updated_by": schedule.updatedBy.map(JSONValue.string) ?? .null,
        ]
    }
}
