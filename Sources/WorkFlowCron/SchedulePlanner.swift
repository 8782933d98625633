import Foundation

/// Decides, for one schedule at one moment, which runs to enqueue, which fire times to drop and
/// when to look again.
///
/// A pure function of its inputs: the caller passes the clock's `now` and stores
/// ``SchedulePlan/plannedThrough`` for the next call, so the same inputs always give the same plan.
///
/// The fire times due are those after `lastPlanned` and at or before `now`:
/// 1. **On time**: a fire time at most ``misfireThreshold`` old. Each one is a run.
/// 2. **Missed**: an older one, left behind by downtime. ``MisfirePolicy/runOnce`` turns all of
///    them into one catch-up run (named by the earliest missed time), ``MisfirePolicy/skip``
///    into none. On-time fires in the same plan run as well.
/// 3. **Overlap**: ``OverlapPolicy/allow`` and ``OverlapPolicy/queue`` enqueue every run;
///    ``OverlapPolicy/skip`` drops them all while a run from the schedule is active, and
///    otherwise keeps only the latest.
///
/// A disabled schedule plans nothing and moves ``SchedulePlan/plannedThrough`` to `now`, so
/// that the time it spent disabled is not caught up when it is enabled again.
public struct SchedulePlanner: Sendable {
    /// How late a fire time may be planned and still count as on time rather than missed.
    public var misfireThreshold: Duration

    /// A planner; one minute of lateness is on time.
    public init(misfireThreshold: Duration = .seconds(60)) {
        self.misfireThreshold = misfireThreshold
    }

    /// The plan for `schedule` at `now`.
    /// - Parameters:
    ///   - lastPlanned: the previous plan's ``SchedulePlan/plannedThrough``; for a new schedule,
    ///     the time it was created or enabled.
    ///   - hasActiveRun: whether a run from this schedule is queued or running.
    public func plan(_ schedule: CronSchedule, lastPlanned: Date, now: Date, hasActiveRun: Bool) -> SchedulePlan {
        let plannedThrough = max(lastPlanned, now)
        guard schedule.isEnabled else {
            return SchedulePlan(plannedThrough: plannedThrough, nextWakeUp: nil)
        }
        let (due, firstMissed) = dueRuns(of: schedule, after: lastPlanned, through: now)
        var plan = SchedulePlan(
            firstMissedFire: firstMissed,
            plannedThrough: plannedThrough,
            nextWakeUp: schedule.expression.nextFire(after: plannedThrough, in: schedule.timeZone)
        )
        switch schedule.overlapPolicy {
        case .allow, .queue:
            plan.runs = due
        case .skip where hasActiveRun:
            plan.droppedForOverlap = due
        case .skip:
            plan.runs = due.suffix(1)
            plan.droppedForOverlap = Array(due.dropLast())
        }
        return plan
    }

    /// The runs due in `(lastPlanned, now]` after the misfire policy, and the earliest missed fire time.
    private func dueRuns(
        of schedule: CronSchedule, after lastPlanned: Date, through now: Date
    ) -> (runs: [PlannedRun], firstMissed: Date?) {
        let expression = schedule.expression
        let timeZone = schedule.timeZone
        guard let first = expression.nextFire(after: lastPlanned, in: timeZone), first <= now else {
            return ([], nil)
        }
        let onTimeSince = now.addingTimeInterval(-misfireThreshold.timeInterval)
        var runs: [PlannedRun] = []
        var firstMissed: Date?
        var next: Date? = first
        if first < onTimeSince {
            firstMissed = first
            if schedule.misfirePolicy == .runOnce {
                runs.append(PlannedRun(fireTime: first, isCatchUp: true))
            }
            next = expression.firstFire(atOrAfter: onTimeSince, in: timeZone)
        }
        while let fire = next, fire <= now {
            runs.append(PlannedRun(fireTime: fire))
            next = expression.nextFire(after: fire, in: timeZone)
        }
        return (runs, firstMissed)
    }
}

extension Duration {
    /// The duration in seconds, as `Date` arithmetic wants it.
    fileprivate var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
