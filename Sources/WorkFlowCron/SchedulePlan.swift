import Foundation

/// What a scheduler does for one schedule at one moment, as ``SchedulePlanner`` decides it.
public struct SchedulePlan: Sendable, Hashable {
    /// The runs to enqueue now, oldest fire time first.
    public var runs: [PlannedRun]
    /// Fire times that were due but do not run because of overlap policy ``OverlapPolicy/skip``.
    public var droppedForOverlap: [PlannedRun]
    /// The earliest fire time missed by more than the misfire threshold, or `nil` when none was.
    /// With ``MisfirePolicy/runOnce`` it is the catch-up run's fire time.
    public var firstMissedFire: Date?
    /// Every fire time up to here has been decided: store it and pass it back as `lastPlanned`.
    public var plannedThrough: Date
    /// When to plan again: the schedule's next fire time, or `nil` when it has none (disabled,
    /// or an expression that never matches).
    public var nextWakeUp: Date?

    /// A plan; the planner is the usual source of plans, tests and stores build them too.
    public init(
        runs: [PlannedRun] = [],
        droppedForOverlap: [PlannedRun] = [],
        firstMissedFire: Date? = nil,
        plannedThrough: Date,
        nextWakeUp: Date?
    ) {
        self.runs = runs
        self.droppedForOverlap = droppedForOverlap
        self.firstMissedFire = firstMissedFire
        self.plannedThrough = plannedThrough
        self.nextWakeUp = nextWakeUp
    }
}

/// A run a schedule asks for, named by the fire time it stands for.
public struct PlannedRun: Sendable, Hashable {
    /// The scheduled time this run is for.
    public var fireTime: Date
    /// Whether this run stands for fire times missed during downtime (``MisfirePolicy/runOnce``).
    public var isCatchUp: Bool

    /// A run for `fireTime`.
    public init(fireTime: Date, isCatchUp: Bool = false) {
        self.fireTime = fireTime
        self.isCatchUp = isCatchUp
    }
}
