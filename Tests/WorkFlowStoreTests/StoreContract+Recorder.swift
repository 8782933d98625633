import Foundation
import Logging
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

/// Forwards events to a store recorder and, after each, notes the step statuses the database holds.
actor SnapshottingRecorder: RunRecorder {
    let inner: StoreRunRecorder
    let store: SQLStore
    private(set) var snapshots: [[StepStatus]] = []

    init(inner: StoreRunRecorder, store: SQLStore) {
        self.inner = inner
        self.store = store
    }

    func record(_ event: RunEvent) async {
        await inner.record(event)
        let steps = (try? await store.steps(runID: inner.runID)) ?? []
        snapshots.append(steps.map(\.status))
    }
}

extension StoreContract {
    static let probeFlow = #"""
        {"procedures": [
            {"name": "a", "mod": "test.Probe", "method": "ok", "params": {"value": {"k": "v"}}},
            {"name": "b", "mod": "test.Probe", "method": "ok", "params": {"value": "@a.alpha"}},
            {"name": "c", "mod": "test.Probe", "method": "ok"}
        ]}
        """#

    static let failingFlow = #"""
        {"procedures": [
            {"name": "a", "mod": "test.Probe", "method": "ok", "params": {"value": 1}},
            {"name": "b", "mod": "test.Probe", "method": "fail", "params": {"message": "disk full"}},
            {"name": "c", "mod": "test.Probe", "method": "ok"}
        ]}
        """#

    /// Runs `text` through a real executor with a store recorder; returns the result, the run id and the recorder.
    private func execute(
        _ text: String, store: SQLStore, module: ProbeModule = ProbeModule()
    ) async throws -> (RunResult, Int64, StoreRunRecorder, [[StepStatus]]) {
        let workflow = try Workflow(json: text)
        let run = try await store.createRun(
            flowName: "probe", flowVersion: nil, document: workflow.document, trigger: .cli, triggeredBy: nil, inputs: [:],
            status: .queued, node: "test")
        let recorder = StoreRunRecorder(store: store, runID: run.id, logger: TestDatabase.quietLogger)
        let snapshots = SnapshottingRecorder(inner: recorder, store: store)
        let executor = Executor(registry: ModuleRegistry([module]), clock: ManualClock(autoAdvance: true))
        let result = try await executor.run(workflow, options: RunOptions(runID: run.id), recorder: snapshots)
        return (result, run.id, recorder, await snapshots.snapshots)
    }

    @Test("the recorder leaves exactly the executor's records of a successful run, written step by step", arguments: Backend.all)
    func recorderSuccess(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (result, runID, recorder, snapshots) = try await execute(Self.probeFlow, store: store)
            #expect(result.status == .success)
            #expect(await recorder.lastError == nil)
            #expect(try await store.steps(runID: runID) == result.steps)
            #expect(result.steps.first?.logs.map(\.message) == ["echoing a"])
            #expect(result.steps[1].result == ["status": true, "zeta": 1, "alpha": ["k": "v"]])

            let run = try #require(try await store.run(id: runID))
            #expect(run.status == .success)
            #expect(run.startedAt == result.startedAt)
            #expect(run.endedAt == result.endedAt)
            #expect(run.durationMs == result.durationMs)
            #expect(run.error == nil)
            #expect(
                snapshots == [
                    [.pending, .pending, .pending],
                    [.running, .pending, .pending],
                    [.success, .pending, .pending],
                    [.success, .running, .pending],
                    [.success, .success, .pending],
                    [.success, .success, .running],
                    [.success, .success, .success],
                    [.success, .success, .success],
                ])
        }
    }

    @Test("a failed step fails the recorded run and later steps are recorded as skipped", arguments: Backend.all)
    func recorderFailure(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (result, runID, recorder, _) = try await execute(Self.failingFlow, store: store)
            #expect(result.status == .failed)
            #expect(await recorder.lastError == nil)
            let steps = try await store.steps(runID: runID)
            #expect(steps == result.steps)
            #expect(steps.map(\.status) == [.success, .failed, .skipped])
            #expect(steps[1].error == "disk full")
            #expect(steps[1].logs.contains { $0.level == .error && $0.message == "disk full" })
            #expect(steps[2].error == "not run: step 'b' failed: disk full")
            let run = try #require(try await store.run(id: runID))
            #expect(run.status == .failed)
            #expect(run.error == "step 'b' failed: disk full")
        }
    }

    @Test("a recorder whose database closes mid-run keeps the run going and remembers the error", arguments: Backend.all)
    func recorderSurvivesClosedDatabase(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let text = #"""
                {"procedures": [
                    {"name": "a", "mod": "test.Probe", "method": "ok"},
                    {"name": "shut", "mod": "test.Probe", "method": "close"},
                    {"name": "c", "mod": "test.Probe", "method": "ok"}
                ]}
                """#
            let (result, runID, recorder, _) = try await execute(
                text, store: store, module: ProbeModule(onClose: { await store.close() }))
            #expect(result.status == .success)
            #expect(result.steps.map(\.status) == [.success, .success, .success])
            #expect(await recorder.failedWrites == 4)
            let lastError = try #require(await recorder.lastError)
            #expect(lastError == .database(operation: "record the end of run \(runID)", message: "the store is closed"))
            #expect(lastError.description == "database error while trying to record the end of run \(runID): the store is closed")

            // The next start-up closes the run the dead recorder could not finish.
            let reopened = try await database.open()
            #expect(try await reopened.steps(runID: runID).map(\.status) == [.success, .running, .pending])
            #expect(try await reopened.closeInterruptedRuns(node: "test", now: Date()) == 1)
            #expect(try await reopened.run(id: runID)?.error == "interrupted: the process stopped")
            await reopened.close()
        }
    }
}

extension StoreContract {
    @Test("a run cancelled mid-way still records its end, and the store's connections survive", arguments: Backend.all)
    func recorderCancelled(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let workflow = try Workflow(json: Self.probeFlow)
            let run = try await store.createRun(
                flowName: "probe", flowVersion: nil, document: workflow.document, trigger: .cli, triggeredBy: nil, inputs: [:],
                status: .queued, node: "test")
            let recorder = StoreRunRecorder(store: store, runID: run.id, logger: TestDatabase.quietLogger)
            let executor = Executor(registry: ModuleRegistry([ProbeModule()]), clock: ManualClock(autoAdvance: true))
            let task = Task {
                // Cancelled before it starts: every write happens on a cancelled task.
                withUnsafeCurrentTask { $0?.cancel() }
                return try await executor.run(workflow, options: RunOptions(runID: run.id), recorder: recorder)
            }
            let result = try await task.value
            #expect(result.status == .cancelled)
            #expect(await recorder.failedWrites == 0)
            #expect(try await store.run(id: run.id)?.status == .cancelled)
            #expect(try await store.steps(runID: run.id).allSatisfy { $0.status != .running && $0.status != .pending })
        }
    }
}

extension StoreContract {
    @Test("with a ticker, changes wait for its tick and go in one write; the end carries what still waits", arguments: Backend.all)
    func recorderWithWriteDelay(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let run = try await store.createRun(
                flowName: "probe", flowVersion: nil, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], status: .queued,
                node: "test")
            let ticker = ProgressTicker(interval: .seconds(1), clock: ManualClock())
            let recorder = StoreRunRecorder(store: store, runID: run.id, ticker: ticker, logger: TestDatabase.quietLogger)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            let pending = ["a", "b", "c"].enumerated().map { StepRecord(name: $1, order: $0, module: "test.Probe", method: "ok") }
            func running(_ i: Int) -> StepRecord {
                var step = pending[i]
                step.status = .running
                step.attempts = 1
                step.startedAt = t0
                return step
            }
            func done(_ i: Int) -> StepRecord {
                var step = running(i)
                step.status = .success
                step.endedAt = t0
                step.durationMs = 0
                step.result = ["status": true]
                return step
            }

            await recorder.record(.runStarted(runID: run.id, startedAt: t0, steps: pending))
            await recorder.record(.stepStarted(running(0)))
            #expect(try await store.steps(runID: run.id).isEmpty)
            #expect(await recorder.writesStarted == 0)
            #expect(ticker.count == 1)

            // At the tick, one write holds the start and every step as it is now.
            await ticker.tick()
            await recorder.flush()
            #expect(await recorder.writesStarted == 1)
            #expect(try await store.steps(runID: run.id).map(\.status) == [.running, .pending, .pending])
            #expect(try await store.run(id: run.id)?.status == .running)

            // The rest of a fast run goes with its end, in one more write.
            for i in 0..<3 {
                if i > 0 { await recorder.record(.stepStarted(running(i))) }
                await recorder.record(.stepFinished(done(i)))
            }
            let result = RunResult(
                runID: run.id, status: .success, startedAt: t0, endedAt: t0, durationMs: 0, steps: (0..<3).map(done), error: nil,
                context: [:])
            await recorder.record(.runFinished(result))
            #expect(await recorder.writesStarted == 2)
            #expect(ticker.count == 0)
            #expect(await recorder.lastError == nil)
            #expect(try await store.steps(runID: run.id) == result.steps)
            #expect(try await store.run(id: run.id)?.status == .success)
        }
    }
}

extension StoreContract {
    @Test("the ticker's loop writes waiting changes once per interval", arguments: Backend.all)
    func tickerLoop(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let run = try await store.createRun(
                flowName: "probe", flowVersion: nil, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], status: .queued,
                node: "test")
            let clock = ManualClock()
            let ticker = ProgressTicker(interval: .milliseconds(100), clock: clock)
            let loop = Task { await ticker.run() }
            let recorder = StoreRunRecorder(store: store, runID: run.id, ticker: ticker, logger: TestDatabase.quietLogger)
            let step = StepRecord(name: "a", order: 0, module: "test.Probe", method: "ok", status: .running, attempts: 1)
            await recorder.record(.runStarted(runID: run.id, startedAt: Date(timeIntervalSince1970: 1_790_000_000), steps: [step]))

            await clock.waitForSleepers(1)
            clock.advance(by: .milliseconds(100))
            // The loop sleeps again only after the tick handed the changes to a write.
            await clock.waitForSleepers(1)
            await recorder.flush()
            #expect(await recorder.writesStarted == 1)
            #expect(try await store.steps(runID: run.id).map(\.status) == [.running])
            loop.cancel()
            await loop.value
        }
    }
}
