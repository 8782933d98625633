import Foundation
import Testing
import WorkFlowCron
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

/// A scheduler on a temporary SQLite store, on a manual clock that starts at 2026-01-01T00:00:00Z.
///
/// Runs execute for real (through ``RunService``, on real time); the scheduler's own time is the
/// manual clock and ticks are driven with ``SchedulerService/tick(now:)``, so nothing sleeps.
struct SchedulerHarness {
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600)
    let directory: URL
    let store: SQLStore
    let clock: ManualClock
    let runs: RunService
    let scheduler: SchedulerService

    static func make() async throws -> SchedulerHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-scheduler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await Store.open(
            url: "sqlite://" + directory.appendingPathComponent("workflow.db").path, logger: ServerHarness.quiet)
        let clock = ManualClock(start: t0)
        let runs = RunService(
            store: store,
            modules: ModuleLibrary(
                store: store, builtins: BuiltinModules.registry(), folder: directory.appendingPathComponent("modules"), logger: ServerHarness.quiet),
            hub: RunEventHub(), metrics: ServerMetrics(), logger: ServerHarness.quiet, node: "test:1")
        return SchedulerHarness(
            directory: directory, store: store, clock: clock, runs: runs, scheduler: makeScheduler(store: store, runs: runs, clock: clock))
    }

    private static func makeScheduler(store: SQLStore, runs: RunService, clock: ManualClock) -> SchedulerService {
        SchedulerService(
            store: store, runs: runs, auditor: Auditor(store: store, logger: ServerHarness.quiet), clock: clock,
            logger: ServerHarness.quiet)
    }

    /// A second scheduler on the same store, as after a restart of the server.
    func restarted() -> SchedulerService {
        Self.makeScheduler(store: store, runs: runs, clock: clock)
    }

    func close() async {
        await runs.shutdown(grace: .seconds(5))
        await store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `seconds` after 2026-01-01T00:00:00Z.
    static func at(_ seconds: TimeInterval) -> Date {
        t0.addingTimeInterval(seconds)
    }

    /// Stores a valid workflow.
    func addFlow(_ name: String) async throws {
        _ = try await store.createFlow(name: name, document: ["procedures": helloSteps, "variables": ["who": "ops"]], author: nil)
    }

    /// Adds a schedule created at t0 (so it plans from there), in UTC.
    @discardableResult
    func addSchedule(
        _ flow: String, _ name: String, cron: String = "0 * * * *", enabled: Bool = true, overlap: OverlapPolicy = .skip,
        misfire: MisfirePolicy = .runOnce
    ) async throws -> StoredSchedule {
        let settings = ScheduleSettings(cron: cron, timeZone: "UTC", enabled: enabled, overlap: overlap, misfire: misfire)
        return try await store.createSchedule(flowName: flow, name: name, settings: settings, author: "alice", now: Self.t0)
    }

    /// A run row that stays `running`, as if the schedule's last run were still going.
    func activeRun(_ flow: String, schedule: String) async throws -> StoredRun {
        try await store.createRun(
            flowName: flow, flowVersion: 1, document: [:], trigger: .schedule, triggeredBy: "schedule:\(schedule)", inputs: [:],
            status: .running, node: Self.handMade)
    }

    /// The node hand-made runs carry, to tell them from the scheduler's.
    static let handMade = "hand-made"

    /// Ends a run made by ``activeRun(_:schedule:)``.
    func finish(_ run: StoredRun) async throws {
        try await store.finishRun(
            runID: run.id,
            result: RunResult(
                runID: run.id, status: .success, startedAt: Self.t0, endedAt: Self.t0, durationMs: 0, steps: [], error: nil,
                context: [:]))
    }

    /// The runs the scheduler started (queued, or claimed by a worker), oldest first.
    func scheduledRuns() async throws -> [StoredRun] {
        try await store.listRuns(RunQuery()).filter { $0.trigger == .schedule && $0.node != Self.handMade }.reversed()
    }
}
