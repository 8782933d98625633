import Foundation

/// A workflow's cron trigger: when it fires and what happens when fires overlap or are missed.
public struct CronSchedule: Sendable, Hashable {
    /// When the schedule fires, on the wall clock of ``timeZone``.
    public var expression: CronExpression
    /// The time zone whose wall clock ``expression`` is read in.
    public var timeZone: TimeZone
    /// Whether the schedule fires at all.
    public var isEnabled: Bool
    /// What to do with a fire time while a run from this schedule is still active.
    public var overlapPolicy: OverlapPolicy
    /// What to do with fire times missed while the scheduler was not running.
    public var misfirePolicy: MisfirePolicy

    /// A schedule; by default enabled, skipping overlapping fires and catching up once after downtime.
    public init(
        expression: CronExpression,
        timeZone: TimeZone,
        isEnabled: Bool = true,
        overlapPolicy: OverlapPolicy = .skip,
        misfirePolicy: MisfirePolicy = .runOnce
    ) {
        self.expression = expression
        self.timeZone = timeZone
        self.isEnabled = isEnabled
        self.overlapPolicy = overlapPolicy
        self.misfirePolicy = misfirePolicy
    }
}

/// What to do with a fire time while a run from the same schedule is still active
/// (queued or running).
public enum OverlapPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Drop the fire time: a schedule never has more than one active run. When several fire
    /// times are due at once and none is active, only the latest runs.
    case skip
    /// Enqueue the run; the server starts it only after the schedule's earlier runs have ended,
    /// so runs never overlap but none is lost. A job slower than its schedule builds a backlog.
    case queue
    /// Enqueue the run and let it start at once, beside any run still active.
    case allow
}

/// What to do with fire times that passed while the scheduler was not running (downtime, a
/// stopped node), that is, fire times older than the planner's misfire threshold.
public enum MisfirePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Run once for all missed fire times together, then continue with the schedule.
    case runOnce = "run_once"
    /// Run none of the missed fire times; continue with the schedule.
    case skip
}
