import Foundation
import Testing
import WorkFlowCron
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowServer

@Suite("the scheduler", .timeLimit(.minutes(2)))
struct SchedulerServiceTests {
    typealias H = SchedulerHarness

    @Test("a schedule fires on time, once, and says when to look next")
    func firesOnTime() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "hourly")

        var tick = await h.scheduler.tick(now: H.at(1_800))
        #expect(tick.acted && tick.started.isEmpty)
        #expect(tick.nextWakeUp == H.at(3_600))

        tick = await h.scheduler.tick(now: H.at(3_600))
        #expect(tick.started.map(\.scheduleName) == ["hourly"])
        #expect(tick.nextWakeUp == H.at(7_200))
        let runs = try await h.scheduledRuns()
        #expect(runs.map(\.id) == tick.started.map(\.runID))
        #expect(runs.first?.trigger == .schedule)
        #expect(runs.first?.triggeredBy == "schedule:hourly")
        #expect(try await h.store.schedule(flowName: "etl", name: "hourly").plannedThrough == H.at(3_600))

        tick = await h.scheduler.tick(now: H.at(3_610))
        #expect(tick.started.isEmpty)
        await h.close()
    }

    @Test("after downtime, run_once catches up with one run; skip catches up with none")
    func catchUp() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "once", overlap: .allow, misfire: .runOnce)
        try await h.addSchedule("etl", "never", overlap: .allow, misfire: .skip)

        // Down from t0 to 03:30: 01:00, 02:00 and 03:00 were missed.
        let tick = await h.scheduler.tick(now: H.at(3 * 3_600 + 1_800))
        #expect(tick.started.map(\.scheduleName) == ["once"])
        #expect(tick.nextWakeUp == H.at(4 * 3_600))
        #expect(try await h.store.schedule(flowName: "etl", name: "never").plannedThrough == H.at(3 * 3_600 + 1_800))
        await h.close()
    }

    @Test("a catch-up and an on-time fire both run under overlap allow")
    func catchUpAndOnTime() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "hourly", overlap: .allow)
        let tick = await h.scheduler.tick(now: H.at(3 * 3_600 + 30))
        #expect(tick.started.count == 2)
        await h.close()
    }

    @Test("overlap skip drops the fire time while the schedule's run is active, and fires again once it has ended")
    func overlapSkip() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "hourly")
        let active = try await h.activeRun("etl", schedule: "hourly")
        // A run of the same workflow by someone else does not count.
        _ = try await h.store.createRun(
            flowName: "etl", flowVersion: 1, document: [:], trigger: .api, triggeredBy: "user:admin", inputs: [:], status: .running)

        var tick = await h.scheduler.tick(now: H.at(3_600))
        #expect(tick.started.isEmpty)
        try await h.finish(active)
        tick = await h.scheduler.tick(now: H.at(3_630))
        #expect(tick.started.isEmpty, "the dropped 01:00 fire is not made up")
        tick = await h.scheduler.tick(now: H.at(7_200))
        #expect(tick.started.count == 1)
        await h.close()
    }

    @Test("overlap queue holds due runs while one is active and starts them one at a time")
    func overlapQueue() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "hourly", overlap: .queue)
        let active = try await h.activeRun("etl", schedule: "hourly")

        var tick = await h.scheduler.tick(now: H.at(3_600))
        #expect(tick.started.isEmpty)
        #expect(tick.nextWakeUp == H.at(3_605), "a waiting backlog is looked at again shortly")
        #expect(try await h.store.schedule(flowName: "etl", name: "hourly").backlog == 1)

        try await h.finish(active)
        tick = await h.scheduler.tick(now: H.at(3_605))
        #expect(tick.started.count == 1)
        #expect(tick.nextWakeUp == H.at(7_200))
        #expect(try await h.store.schedule(flowName: "etl", name: "hourly").backlog == 0)
        await h.close()
    }

    @Test("disabled schedules and schedules of disabled workflows do not fire, and do not catch up when enabled")
    func disabled() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addFlow("paused")
        try await h.addSchedule("etl", "off", enabled: false)
        try await h.addSchedule("paused", "hourly")
        _ = try await h.store.setEnabled(name: "paused", enabled: false)

        var tick = await h.scheduler.tick(now: H.at(3_600))
        #expect(tick.started.isEmpty)
        #expect(tick.nextWakeUp == nil)
        tick = await h.scheduler.tick(now: H.at(3 * 3_600 + 1_800))
        #expect(tick.started.isEmpty)

        // Enabled again at 03:45: the hours they were disabled are not missed time.
        _ = try await h.store.setEnabled(name: "paused", enabled: true)
        var settings = try await h.store.schedule(flowName: "etl", name: "off").settings
        settings.enabled = true
        _ = try await h.store.updateSchedule(
            flowName: "etl", name: "off", newName: nil, settings: settings, author: nil, now: H.at(3 * 3_600 + 2_700))
        tick = await h.scheduler.tick(now: H.at(3 * 3_600 + 2_700))
        #expect(tick.started.isEmpty)
        #expect(tick.nextWakeUp == H.at(4 * 3_600))
        tick = await h.scheduler.tick(now: H.at(4 * 3_600))
        #expect(tick.started.map(\.flowName) == ["etl", "paused"])
        await h.close()
    }

    @Test("planned_through is stored, so a restarted scheduler does not fire the same time again")
    func restartDoesNotDoubleFire() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "hourly", overlap: .allow)
        #expect(await h.scheduler.tick(now: H.at(3_600)).started.count == 1)
        let restarted = h.restarted()
        #expect(await restarted.tick(now: H.at(3_601)).started.isEmpty)
        #expect(await restarted.tick(now: H.at(7_200)).started.count == 1)
        #expect(try await h.scheduledRuns().count == 2)
        await h.close()
    }

    @Test("a run that cannot start is logged and audited as the system's, and the other schedules still fire")
    func failedStart() async throws {
        let h = try await H.make()
        _ = try await h.store.createFlow(
            name: "broken", document: ["procedures": [["name": "x", "mod": "no.Such", "method": "run"]]], author: nil)
        try await h.addFlow("etl")
        try await h.addSchedule("broken", "hourly")
        try await h.addSchedule("etl", "hourly")

        let tick = await h.scheduler.tick(now: H.at(3_600))
        #expect(tick.started.map(\.flowName) == ["etl"])
        #expect(tick.failed.map(\.flowName) == ["broken"])
        #expect(tick.failed.first?.error.hasPrefix("the workflow is not valid") == true)
        let audit = try await h.store.auditEntries(AuditQuery(actor: "system"))
        #expect(audit.map(\.action) == ["start_failed"])
        #expect(audit.first?.targetName == "broken/hourly")
        #expect(tick.nextWakeUp == H.at(7_200), "a failed start is not retried before the next fire time")
        await h.close()
    }

    @Test("the loop sleeps until the next fire time, at most a minute, and a change wakes it at once")
    func loop() async throws {
        let h = try await H.make()
        try await h.addFlow("etl")
        try await h.addSchedule("etl", "hourly")
        let service = Task { try await h.scheduler.run() }

        await Self.waitForSleeps(h.clock, 1)
        #expect(h.clock.sleeps == [.seconds(60)])

        try await h.addSchedule("etl", "ten-seconds", cron: "*/10 * * * * *", overlap: .allow)
        h.scheduler.wake()
        await Self.waitForSleeps(h.clock, 2)
        #expect(h.clock.sleeps.last == .seconds(10))

        h.clock.advance(by: .seconds(10))
        await Self.waitForSleeps(h.clock, 3)
        #expect(try await h.scheduledRuns().map(\.triggeredBy) == ["schedule:ten-seconds"])
        #expect(h.clock.sleeps.last == .seconds(10))

        service.cancel()
        _ = await service.result
        await h.close()
    }

    /// Yields until the clock has been asked to sleep `count` times.
    static func waitForSleeps(_ clock: ManualClock, _ count: Int) async {
        while clock.sleeps.count < count {
            await Task.yield()
        }
    }
}
