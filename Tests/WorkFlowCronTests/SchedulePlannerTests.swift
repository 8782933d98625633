import Foundation
import Testing
@testable import WorkFlowCron

@Suite("Planning scheduled runs")
struct SchedulePlannerTests {
    let planner = SchedulePlanner(misfireThreshold: .seconds(60))

    func hourly(
        overlap: OverlapPolicy = .skip, misfire: MisfirePolicy = .runOnce, enabled: Bool = true
    ) throws -> CronSchedule {
        CronSchedule(
            expression: try CronExpression("0 * * * *"), timeZone: try zone("UTC"),
            isEnabled: enabled, overlapPolicy: overlap, misfirePolicy: misfire
        )
    }

    func plan(
        _ schedule: CronSchedule, lastPlanned: String, now: String, active: Bool = false
    ) throws -> SchedulePlan {
        planner.plan(schedule, lastPlanned: try utc(lastPlanned), now: try utc(now), hasActiveRun: active)
    }

    func run(_ time: String, catchUp: Bool = false) throws -> PlannedRun {
        PlannedRun(fireTime: try utc(time), isCatchUp: catchUp)
    }

    @Test("a fire time reached on time becomes one run, and the planner wakes at the next")
    func onTime() throws {
        let plan = try plan(hourly(), lastPlanned: "2024-01-01T10:00:00Z", now: "2024-01-01T11:00:02Z")
        #expect(plan == SchedulePlan(
            runs: [try run("2024-01-01T11:00:00Z")],
            plannedThrough: try utc("2024-01-01T11:00:02Z"),
            nextWakeUp: try utc("2024-01-01T12:00:00Z")
        ))
    }

    @Test("nothing is due before the next fire time")
    func nothingDue() throws {
        let plan = try plan(hourly(), lastPlanned: "2024-01-01T11:00:00Z", now: "2024-01-01T11:30:00Z")
        #expect(plan == SchedulePlan(
            plannedThrough: try utc("2024-01-01T11:30:00Z"),
            nextWakeUp: try utc("2024-01-01T12:00:00Z")
        ))
    }

    @Test("planning again with the stored cursor does not repeat a run")
    func idempotent() throws {
        let schedule = try hourly()
        let first = try plan(schedule, lastPlanned: "2024-01-01T10:00:00Z", now: "2024-01-01T11:00:02Z")
        let second = planner.plan(schedule, lastPlanned: first.plannedThrough, now: try utc("2024-01-01T11:00:03Z"), hasActiveRun: false)
        #expect(second.runs.isEmpty)
        #expect(second.nextWakeUp == (try utc("2024-01-01T12:00:00Z")))
    }

    @Test("run_once: downtime's missed fire times become one catch-up run")
    func misfireRunOnce() throws {
        let plan = try plan(hourly(), lastPlanned: "2024-01-01T08:00:00Z", now: "2024-01-01T11:20:00Z")
        #expect(plan == SchedulePlan(
            runs: [try run("2024-01-01T09:00:00Z", catchUp: true)],
            firstMissedFire: try utc("2024-01-01T09:00:00Z"),
            plannedThrough: try utc("2024-01-01T11:20:00Z"),
            nextWakeUp: try utc("2024-01-01T12:00:00Z")
        ))
    }

    @Test("skip: downtime's missed fire times do not run; the schedule goes on")
    func misfireSkip() throws {
        let plan = try plan(hourly(misfire: .skip), lastPlanned: "2024-01-01T08:00:00Z", now: "2024-01-01T11:20:00Z")
        #expect(plan == SchedulePlan(
            firstMissedFire: try utc("2024-01-01T09:00:00Z"),
            plannedThrough: try utc("2024-01-01T11:20:00Z"),
            nextWakeUp: try utc("2024-01-01T12:00:00Z")
        ))
    }

    @Test("after downtime an on-time fire still runs beside the catch-up")
    func catchUpAndOnTime() throws {
        let allowed = try plan(hourly(overlap: .allow), lastPlanned: "2024-01-01T08:00:00Z", now: "2024-01-01T11:00:30Z")
        #expect(allowed.runs == [try run("2024-01-01T09:00:00Z", catchUp: true), try run("2024-01-01T11:00:00Z")])
        #expect(allowed.firstMissedFire == (try utc("2024-01-01T09:00:00Z")))

        let skipped = try plan(hourly(misfire: .skip), lastPlanned: "2024-01-01T08:00:00Z", now: "2024-01-01T11:00:30Z")
        #expect(skipped.runs == [try run("2024-01-01T11:00:00Z")])
        #expect(skipped.droppedForOverlap.isEmpty)
    }

    @Test("a fire time exactly the threshold old is on time; one second more is missed")
    func thresholdBoundary() throws {
        let onTime = try plan(hourly(), lastPlanned: "2024-01-01T10:30:00Z", now: "2024-01-01T11:01:00Z")
        #expect(onTime.runs == [try run("2024-01-01T11:00:00Z")])
        #expect(onTime.firstMissedFire == nil)

        let late = try plan(hourly(), lastPlanned: "2024-01-01T10:30:00Z", now: "2024-01-01T11:01:01Z")
        #expect(late.runs == [try run("2024-01-01T11:00:00Z", catchUp: true)])
        #expect(late.firstMissedFire == (try utc("2024-01-01T11:00:00Z")))
    }

    @Test("overlap skip: a fire time is dropped while a run is active")
    func overlapSkip() throws {
        let plan = try plan(hourly(overlap: .skip), lastPlanned: "2024-01-01T10:00:00Z", now: "2024-01-01T11:00:02Z", active: true)
        #expect(plan.runs.isEmpty)
        #expect(plan.droppedForOverlap == [try run("2024-01-01T11:00:00Z")])
        #expect(plan.nextWakeUp == (try utc("2024-01-01T12:00:00Z")))
    }

    @Test("overlap skip: a catch-up is dropped too while a run is active")
    func overlapSkipCatchUp() throws {
        let plan = try plan(hourly(overlap: .skip), lastPlanned: "2024-01-01T08:00:00Z", now: "2024-01-01T11:20:00Z", active: true)
        #expect(plan.runs.isEmpty)
        #expect(plan.droppedForOverlap == [try run("2024-01-01T09:00:00Z", catchUp: true)])
    }

    @Test("overlap queue and allow: the run is enqueued although one is active", arguments: [OverlapPolicy.queue, .allow])
    func overlapEnqueues(policy: OverlapPolicy) throws {
        let plan = try plan(hourly(overlap: policy), lastPlanned: "2024-01-01T10:00:00Z", now: "2024-01-01T11:00:02Z", active: true)
        #expect(plan.runs == [try run("2024-01-01T11:00:00Z")])
        #expect(plan.droppedForOverlap.isEmpty)
    }

    @Test("several on-time fire times: all run, or with overlap skip only the latest")
    func severalOnTime() throws {
        func everyTenSeconds(_ overlap: OverlapPolicy) throws -> CronSchedule {
            CronSchedule(expression: try CronExpression("*/10 * * * * *"), timeZone: try zone("UTC"), overlapPolicy: overlap)
        }
        let all = try plan(everyTenSeconds(.queue), lastPlanned: "2024-01-01T10:00:00Z", now: "2024-01-01T10:00:35Z")
        #expect(all.runs == [
            try run("2024-01-01T10:00:10Z"), try run("2024-01-01T10:00:20Z"), try run("2024-01-01T10:00:30Z"),
        ])
        #expect(all.nextWakeUp == (try utc("2024-01-01T10:00:40Z")))

        let latest = try plan(everyTenSeconds(.skip), lastPlanned: "2024-01-01T10:00:00Z", now: "2024-01-01T10:00:35Z")
        #expect(latest.runs == [try run("2024-01-01T10:00:30Z")])
        #expect(latest.droppedForOverlap == [try run("2024-01-01T10:00:10Z"), try run("2024-01-01T10:00:20Z")])
    }

    @Test("a disabled schedule plans nothing and moves its cursor to now")
    func disabled() throws {
        let plan = try plan(hourly(enabled: false), lastPlanned: "2024-01-01T08:00:00Z", now: "2024-01-01T11:20:00Z")
        #expect(plan == SchedulePlan(plannedThrough: try utc("2024-01-01T11:20:00Z"), nextWakeUp: nil))
    }

    @Test("a clock that moved back plans nothing and keeps the cursor")
    func clockMovedBack() throws {
        let plan = try plan(hourly(), lastPlanned: "2024-01-01T11:00:02Z", now: "2024-01-01T10:59:00Z")
        #expect(plan == SchedulePlan(
            plannedThrough: try utc("2024-01-01T11:00:02Z"),
            nextWakeUp: try utc("2024-01-01T12:00:00Z")
        ))
    }

    @Test("the schedule's time zone decides the fire times")
    func timeZone() throws {
        let schedule = CronSchedule(expression: try CronExpression("0 9 * * *"), timeZone: try zone("Europe/Berlin"))
        let plan = try plan(schedule, lastPlanned: "2024-07-01T06:00:00Z", now: "2024-07-01T07:00:10Z")
        #expect(plan.runs == [try run("2024-07-01T07:00:00Z")])
        #expect(plan.nextWakeUp == (try utc("2024-07-02T07:00:00Z")))
    }

    @Test("a schedule that never fires has no wake-up")
    func neverFires() throws {
        let schedule = CronSchedule(expression: try CronExpression("0 0 30 2 *"), timeZone: try zone("UTC"))
        let plan = try plan(schedule, lastPlanned: "2024-01-01T00:00:00Z", now: "2024-06-01T00:00:00Z")
        #expect(plan == SchedulePlan(plannedThrough: try utc("2024-06-01T00:00:00Z"), nextWakeUp: nil))
    }
}
