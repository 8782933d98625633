import Foundation
import Logging
import ServiceLifecycle
import WorkFlowCron
import WorkFlowEngine
import WorkFlowStore

/// Starts the runs that workflows' cron schedules ask for.
///
/// Each tick reads the enabled schedules of live workflows, asks ``SchedulePlanner`` what is due
/// (a schedule's run is *active* while a run of its workflow triggered by `schedule:<name>` is
/// queued or running), stores the new `planned_through`, then starts the runs through
/// ``RunService``. Then the loop sleeps until the earliest next fire time, at most a minute;
/// ``wake()`` (called on every schedule change) ends the sleep early.
///
/// One scheduler acts at a time: on PostgreSQL each tick holds an advisory lock, so nodes sharing
/// a database never fire a schedule twice; SQLite serves a single node. A plan is stored before
/// its runs start, so a crash in between loses those runs rather than firing them twice.
public struct SchedulerService: Service {
    let store: SQLStore
    let runs: RunService
    let auditor: Auditor
    let clock: any EngineClock
    let logger: Logger
    let planner: SchedulePlanner
    let wakeUp = SchedulerWakeUp()

    /// The longest sleep between ticks: schedules changed by another node are seen within it.
    public static let maximumSleep: Duration = .seconds(60)
    /// How soon to look again, in seconds, after a failed tick or another node's tick, and while
    /// a `queue` backlog waits.
    public static let retryDelay: TimeInterval = 5

    public init(
        store: SQLStore, runs: RunService, auditor: Auditor, clock: any EngineClock, logger: Logger,
        planner: SchedulePlanner = SchedulePlanner()
    ) {
        self.store = store
        self.runs = runs
        self.auditor = auditor
        self.clock = clock
        self.logger = logger
        self.planner = planner
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let result = await tick(now: clock.now())
                await wakeUp.wait(atMost: sleepDuration(until: result.nextWakeUp), on: clock)
            }
        }
    }

    /// Ends the current sleep (or the next one), so that a changed schedule is planned at once.
    public func wake() {
        wakeUp.signal()
    }

    /// How long to sleep for a wake-up at `date`: never negative, never past ``maximumSleep``.
    func sleepDuration(until date: Date?) -> Duration {
        guard let date else { return Self.maximumSleep }
        let seconds = date.timeIntervalSince(clock.now())
        return min(Self.maximumSleep, .seconds(fraction: seconds))
    }

    /// Plans every schedule at `now` and starts the runs due; never throws, a failure is logged
    /// and retried on a later tick.
    public func tick(now: Date) async -> SchedulerTick {
        let retry = now.addingTimeInterval(Self.retryDelay)
        do {
            guard let tick = try await store.withSchedulerLock({ await tickHoldingLock(now: now, retry: retry) }) else {
                return SchedulerTick(acted: false, nextWakeUp: retry)
            }
            return tick
        } catch {
            logger.error("scheduler tick failed; trying again shortly", metadata: ["error": "\(error)"])
            return SchedulerTick(acted: false, nextWakeUp: retry)
        }
    }

    private func tickHoldingLock(now: Date, retry: Date) async -> SchedulerTick {
        var tick = SchedulerTick(acted: true)
        let schedules: [ScheduleToPlan]
        do {
            schedules = try await store.schedulesToPlan()
        } catch {
            logger.error("cannot read the schedules; trying again shortly", metadata: ["error": "\(error)"])
            tick.wake(at: retry)
            return tick
        }
        for item in schedules {
            await plan(item, now: now, retry: retry, into: &tick)
        }
        return tick
    }

    /// Plans one schedule, records the plan, and starts its runs.
    private func plan(_ item: ScheduleToPlan, now: Date, retry: Date, into tick: inout SchedulerTick) async {
        let schedule = item.schedule
        var metadata: Logger.Metadata = ["flow": "\(schedule.flowName)", "schedule": "\(schedule.name)"]
        var cron: CronSchedule
        do {
            cron = try schedule.settings.cronSchedule()
        } catch {
            logger.error("schedule cannot be read; it does not fire", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return
        }
        // A disabled workflow's schedules plan nothing, so its disabled time is not caught up.
        cron.isEnabled = item.flowEnabled
        let plan = planner.plan(cron, lastPlanned: schedule.plannedThrough, now: now, hasActiveRun: item.hasActiveRun)
        let (starts, backlog) = Self.runsToStart(plan, item: item)

        if let missed = plan.firstMissedFire {
            metadata["first_missed"] = "\(Presentation.timestamp(missed))"
            logger.warning("schedule missed fire times while no scheduler ran", metadata: metadata)
        }
        if !plan.droppedForOverlap.isEmpty {
            logger.info(
                "schedule skipped fire times: its previous run is still active",
                metadata: metadata.merging(["skipped": "\(plan.droppedForOverlap.count)"]) { $1 })
        }
        do {
            guard try await store.recordPlan(scheduleID: schedule.id, plannedThrough: plan.plannedThrough, backlog: backlog) else {
                return  // changed or deleted meanwhile; the next tick plans it afresh
            }
        } catch {
            logger.error("cannot store a schedule's plan; trying again shortly", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            tick.wake(at: retry)
            return
        }
        for _ in 0..<starts {
            await start(schedule, into: &tick)
        }
        tick.wake(at: plan.nextWakeUp)
        if backlog > 0 { tick.wake(at: retry) }
    }

    /// How many runs to start now and the `queue` backlog to keep.
    ///
    /// Overlap `queue` starts one run at a time: due runs join the backlog, and one leaves it
    /// whenever the schedule has no active run. The other policies start what the planner says.
    static func runsToStart(_ plan: SchedulePlan, item: ScheduleToPlan) -> (starts: Int, backlog: Int) {
        guard item.schedule.settings.overlap == .queue else { return (plan.runs.count, 0) }
        guard item.flowEnabled else { return (0, 0) }
        let owed = item.schedule.backlog + plan.runs.count
        let starts = item.hasActiveRun ? 0 : min(1, owed)
        return (starts, owed - starts)
    }

    /// Starts one run; a refusal is logged and audited as the system's, and the scheduler goes on.
    private func start(_ schedule: StoredSchedule, into tick: inout SchedulerTick) async {
        let metadata: Logger.Metadata = ["flow": "\(schedule.flowName)", "schedule": "\(schedule.name)"]
        do {
            let run = try await runs.start(
                flowName: schedule.flowName, inputs: [:], trigger: .schedule, triggeredBy: schedule.runActor)
            logger.info("schedule started a run", metadata: metadata.merging(["run.id": "\(run.id)"]) { $1 })
            tick.started.append(.init(flowName: schedule.flowName, scheduleName: schedule.name, runID: run.id))
        } catch {
            let message = (error as? APIError)?.message ?? "\(error)"
            logger.error("schedule could not start a run", metadata: metadata.merging(["error": "\(message)"]) { $1 })
            tick.failed.append(.init(flowName: schedule.flowName, scheduleName: schedule.name, error: message))
            await auditor.record(
                actor: "system", action: "start_failed", targetType: "schedule", targetName: "\(schedule.flowName)/\(schedule.name)",
                clientIP: nil, detail: ["flow": .string(schedule.flowName), "schedule": .string(schedule.name), "error": .string(message)])
        }
    }
}
