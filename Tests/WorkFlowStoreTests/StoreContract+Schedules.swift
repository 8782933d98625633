import Foundation
import Testing
import WorkFlowCron
import WorkFlowEngine
@testable import WorkFlowStore

/// The schedules' contract. Planning times are injected (`now:`); no test sleeps.
extension StoreContract {
    static let nightly = ScheduleSettings(cron: "0 2 * * *", timeZone: "Europe/Berlin")

    /// Creates a schedule of `flow` named `name`, `seconds` after the start of the test clock.
    static func addSchedule(
        _ store: SQLStore, _ flow: String, _ name: String, _ settings: ScheduleSettings = nightly, at seconds: TimeInterval = 0
    ) async throws -> StoredSchedule {
        try await store.createSchedule(flowName: flow, name: name, settings: settings, author: "alice", now: at(seconds))
    }

    @Test("a created schedule reads back with every field, planned through its creation", arguments: Backend.all)
    func scheduleCreateAndRead(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            let settings = ScheduleSettings(cron: "*/5 * * * *", timeZone: "UTC", enabled: false, overlap: .queue, misfire: .skip)
            let created = try await Self.addSchedule(store, "etl", "every-5", settings, at: 7)
            #expect(
                created
                    == StoredSchedule(
                        id: created.id, flowName: "etl", name: "every-5", settings: settings, plannedThrough: Self.at(7),
                        createdAt: Self.at(7), updatedAt: Self.at(7), createdBy: "alice", updatedBy: "alice"))
            #expect(created.runActor == "schedule:every-5")
            #expect(try await store.schedule(flowName: "etl", name: "every-5") == created)
            #expect(try await store.listSchedules(flowName: "etl") == [created])
        }
    }

    @Test("names are unique per workflow, follow the naming rules, and unknown names say what is missing", arguments: Backend.all)
    func scheduleNames(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            _ = try await store.createFlow(name: "report", document: [:], author: nil)
            _ = try await Self.addSchedule(store, "etl", "nightly")
            _ = try await Self.addSchedule(store, "report", "nightly")
            await #expect(throws: StoreError.scheduleExists(flow: "etl", name: "nightly")) {
                try await Self.addSchedule(store, "etl", "nightly")
            }
            for bad in ["", "with space", "a/b", "ünïcode", String(repeating: "n", count: 65)] {
                await #expect(throws: StoreError.invalidScheduleName(bad)) { try await Self.addSchedule(store, "etl", bad) }
            }
            await #expect(throws: StoreError.flowNotFound("missing")) { try await Self.addSchedule(store, "missing", "x") }
            await #expect(throws: StoreError.flowNotFound("missing")) { try await store.listSchedules(flowName: "missing") }
            await #expect(throws: StoreError.scheduleNotFound(flow: "etl", name: "hourly")) {
                try await store.schedule(flowName: "etl", name: "hourly")
            }
            await #expect(throws: StoreError.scheduleNotFound(flow: "etl", name: "hourly")) {
                try await store.deleteSchedule(flowName: "etl", name: "hourly")
            }
            #expect(try await store.listSchedules(flowName: nil).map { "\($0.flowName)/\($0.name)" } == ["etl/nightly", "report/nightly"])
        }
    }

    @Test("an update replaces the settings and renames; enabling or a new expression plans from now", arguments: Backend.all)
    func scheduleUpdate(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            var settings = Self.nightly
            settings.enabled = false
            let created = try await Self.addSchedule(store, "etl", "nightly", settings)
            _ = try await Self.addSchedule(store, "etl", "taken")

            // Policies only: nothing to replan.
            settings.overlap = .allow
            var updated = try await store.updateSchedule(
                flowName: "etl", name: "nightly", newName: nil, settings: settings, author: "bob", now: Self.at(60))
            #expect(updated.settings == settings)
            #expect(updated.plannedThrough == Self.at(0))
            #expect(updated.updatedAt == Self.at(60))
            #expect(updated.updatedBy == "bob")
            #expect(updated.createdBy == "alice")

            // Enabling plans from now, so the disabled hour is not caught up.
            settings.enabled = true
            updated = try await store.updateSchedule(
                flowName: "etl", name: "nightly", newName: "daily", settings: settings, author: "bob", now: Self.at(3_600))
            #expect(updated.name == "daily")
            #expect(updated.plannedThrough == Self.at(3_600))
            #expect(try await store.schedule(flowName: "etl", name: "daily") == updated)
            #expect(updated.id == created.id)

            await #expect(throws: StoreError.scheduleExists(flow: "etl", name: "taken")) {
                try await store.updateSchedule(
                    flowName: "etl", name: "daily", newName: "taken", settings: settings, author: nil, now: Self.at(3_700))
            }
            await #expect(throws: StoreError.scheduleNotFound(flow: "etl", name: "nightly")) {
                try await store.updateSchedule(
                    flowName: "etl", name: "nightly", newName: nil, settings: settings, author: nil, now: Self.at(3_700))
            }

            // A new expression plans from now too; an earlier `now` never moves the plan back.
            settings.cron = "0 3 * * *"
            updated = try await store.updateSchedule(
                flowName: "etl", name: "daily", newName: nil, settings: settings, author: nil, now: Self.at(10))
            #expect(updated.plannedThrough == Self.at(3_600))
        }
    }

    @Test("the queue backlog is kept by plans and cleared when the schedule stops queueing", arguments: Backend.all)
    func scheduleBacklog(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            var settings = Self.nightly
            settings.overlap = .queue
            let schedule = try await Self.addSchedule(store, "etl", "nightly", settings)
            #expect(try await store.recordPlan(scheduleID: schedule.id, plannedThrough: Self.at(10), backlog: 2))
            #expect(try await store.schedule(flowName: "etl", name: "nightly").backlog == 2)

            settings.misfire = .skip
            var updated = try await store.updateSchedule(
                flowName: "etl", name: "nightly", newName: nil, settings: settings, author: nil, now: Self.at(20))
            #expect(updated.backlog == 2)
            settings.overlap = .allow
            updated = try await store.updateSchedule(
                flowName: "etl", name: "nightly", newName: nil, settings: settings, author: nil, now: Self.at(30))
            #expect(updated.backlog == 0)
            #expect(try await store.schedule(flowName: "etl", name: "nightly").backlog == 0)
        }
    }

    @Test("a plan is recorded only forward in time, and not for a deleted schedule", arguments: Backend.all)
    func scheduleRecordPlan(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            let schedule = try await Self.addSchedule(store, "etl", "nightly")
            #expect(try await store.recordPlan(scheduleID: schedule.id, plannedThrough: Self.at(60), backlog: 0))
            #expect(try await store.recordPlan(scheduleID: schedule.id, plannedThrough: Self.at(60), backlog: 0))
            #expect(try await !store.recordPlan(scheduleID: schedule.id, plannedThrough: Self.at(30), backlog: 0))
            #expect(try await store.schedule(flowName: "etl", name: "nightly").plannedThrough == Self.at(60))

            try await store.deleteSchedule(flowName: "etl", name: "nightly")
            #expect(try await !store.recordPlan(scheduleID: schedule.id, plannedThrough: Self.at(90), backlog: 0))
            #expect(try await store.listSchedules(flowName: "etl") == [])
        }
    }

    @Test(
        "the schedules to plan are the enabled ones of live workflows, with the workflow's state and their active runs",
        arguments: Backend.all)
    func schedulesToPlan(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            for flow in ["etl", "off", "gone"] {
                _ = try await store.createFlow(name: flow, document: [:], author: nil)
                _ = try await Self.addSchedule(store, flow, "nightly")
            }
            var disabled = Self.nightly
            disabled.enabled = false
            _ = try await Self.addSchedule(store, "etl", "paused", disabled)
            _ = try await Self.addSchedule(store, "etl", "hourly")
            _ = try await store.setEnabled(name: "off", enabled: false)
            _ = try await store.deleteFlow(name: "gone", author: nil)

            func run(_ flow: String, by actor: String, _ status: RunStatus) async throws {
                _ = try await store.createRun(
                    flowName: flow, flowVersion: 1, document: [:], trigger: .schedule, triggeredBy: actor, inputs: [:],
                    status: status)
            }
            try await run("etl", by: "schedule:nightly", .queued)
            try await run("etl", by: "schedule:hourly", .success)
            try await run("etl", by: "user:hourly", .running)
            try await run("off", by: "schedule:hourly", .running)

            let plans = try await store.schedulesToPlan()
            #expect(plans.map { "\($0.schedule.flowName)/\($0.schedule.name)" } == ["etl/hourly", "etl/nightly", "off/nightly"])
            #expect(plans.map(\.flowEnabled) == [true, true, false])
            #expect(plans.map(\.hasActiveRun) == [false, true, false])
        }
    }

    @Test("schedules follow their workflow: renamed with it, hidden when it is deleted, removed with its row", arguments: Backend.all)
    func schedulesFollowTheirFlow(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            _ = try await Self.addSchedule(store, "etl", "nightly")
            _ = try await store.renameFlow(from: "etl", to: "pipeline", author: nil)
            #expect(try await store.schedule(flowName: "pipeline", name: "nightly").flowName == "pipeline")

            let deletedName = try await store.deleteFlow(name: "pipeline", author: nil)
            #expect(try await store.listSchedules(flowName: nil) == [])
            await #expect(throws: StoreError.flowNotFound(deletedName)) { try await store.listSchedules(flowName: deletedName) }

            try await store.database.withWriter { session in try await session.run("DELETE FROM flows") }
            let left = try await store.database.withConnection { session in
                try await session.first("SELECT COUNT(*) AS n FROM schedules")?.int("n")
            }
            #expect(left == 0)
        }
    }

    @Test("one scheduler at a time: on PostgreSQL a second lock holder is turned away", arguments: Backend.all)
    func schedulerLock(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let other = try await database.open()
            let inner: String?? = try await store.withSchedulerLock { () async -> String? in
                do {
                    return try await other.withSchedulerLock { "second" }
                } catch {
                    return "failed: \(error)"
                }
            }
            #expect(inner == .some(backend == .postgres ? nil : "second"))
            // Released with the tick: the other node may take it now.
            #expect(try await other.withSchedulerLock { "second" } == "second")
            await other.close()
        }
    }
}
