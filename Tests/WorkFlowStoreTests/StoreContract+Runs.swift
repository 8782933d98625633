import Foundation
import Logging
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    static let t0 = TestClock.start

    /// `seconds` after the start of the test clock, on a whole millisecond (what the store keeps).
    static func at(_ seconds: TimeInterval) -> Date {
        milliseconds(t0.addingTimeInterval(seconds))
    }

    /// A step record with every field set, times on whole milliseconds.
    static func fullStep(order: Int = 0) -> StepRecord {
        StepRecord(
            name: "fetch \(order)", order: order, module: "common.Http", method: "get",
            params: ["url": "https://example.com/?q='x'", "headers": ["b": 2, "a": 1], "password": "******"],
            status: .success, attempts: 2, startedAt: at(1.001), endedAt: at(2.25),
            durationMs: 1_249, result: ["status": true, "zeta": [1, 2.5, nil], "alpha": ["ü": "ß \"q\""]],
            error: "first attempt: timeout",
            logs: [
                StepLogLine(time: at(1.5), level: .info, message: "GET https://example.com"),
                StepLogLine(time: at(2.2), level: .warning, message: "slow: 1.2 s\nsecond line"),
            ])
    }

    @Test("created runs get increasing integer ids and read back with every field", arguments: Backend.all)
    func createRuns(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            _ = try await store.createFlow(name: "etl", document: ["v": 1], author: nil)
            let first = try await store.createRun(
                flowName: "etl", flowVersion: 1, document: ["v": 1], trigger: .api, triggeredBy: "alice",
                inputs: ["day": "2026-01-01", "n": 3], node: "node-a")
            database.clock.advance(milliseconds: 7)
            let second = try await store.createRun(
                flowName: "adhoc", flowVersion: nil, document: ["procedures": []], trigger: .cli, triggeredBy: nil,
                inputs: [:], status: .queued, node: nil)
            #expect(second.id > first.id)
            #expect(
                first
                    == StoredRun(
                        id: first.id, flowName: "etl", flowVersion: 1, trigger: .api, triggeredBy: "alice",
                        inputs: ["day": "2026-01-01", "n": 3], status: .running, createdAt: milliseconds(Self.t0),
                        startedAt: milliseconds(Self.t0), endedAt: nil, durationMs: nil, error: nil, node: "node-a"))
            #expect(try await store.run(id: first.id) == first)
            #expect(try await store.run(id: second.id) == second)
            #expect(second.startedAt == nil)
            #expect(second.createdAt == milliseconds(Self.at(0.007)))
            #expect(try await store.run(id: second.id + 100) == nil)
            #expect(try await store.runDocument(id: second.id) == ["procedures": []])
            #expect(try await store.runDocument(id: second.id + 100) == nil)
        }
    }

    @Test("step rows are written as the run goes: pending, running, finished", arguments: Backend.all)
    func stepUpserts(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let run = try await store.createRun(
                flowName: "etl", flowVersion: nil, document: [:], trigger: .ui, triggeredBy: nil, inputs: [:], status: .queued,
                node: nil)
            let pending = [
                StepRecord(name: "a", order: 0, module: "m.A", method: "x", params: ["p": 1]),
                StepRecord(name: "b", order: 1, module: "m.B", method: "y"),
            ]
            try await store.markRunStarted(runID: run.id, startedAt: Self.at(1), steps: pending)
            #expect(try await store.steps(runID: run.id) == pending)
            let started = try #require(try await store.run(id: run.id))
            #expect(started.status == .running)
            #expect(started.startedAt == milliseconds(Self.at(1)))

            var a = pending[0]
            a.status = .running
            a.startedAt = Self.at(1.2)
            try await store.recordStepStarted(runID: run.id, step: a)
            #expect(try await store.steps(runID: run.id) == [a, pending[1]])

            a.status = .success
            a.attempts = 1
            a.endedAt = Self.at(1.5)
            a.durationMs = 300
            a.result = ["status": true]
            try await store.recordStepFinished(runID: run.id, step: a)
            #expect(try await store.steps(runID: run.id) == [a, pending[1]])
        }
    }

    @Test("a whole step record round-trips: dates to the millisecond, JSON in key order, logs", arguments: Backend.all)
    func stepRoundTrip(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let run = try await store.createRun(
                flowName: "etl", flowVersion: nil, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], node: nil)
            var steps = [Self.fullStep(order: 0), Self.fullStep(order: 1)]
            steps[1].result = .null
            steps[1].error = nil
            steps[1].logs = []
            try await store.recordStepFinished(runID: run.id, step: steps[0])
            try await store.recordStepFinished(runID: run.id, step: steps[1])
            let read = try await store.steps(runID: run.id)
            #expect(read == steps)
            if case .object(let result) = try #require(read.first?.result) {
                #expect(Array(result.keys) == ["status", "zeta", "alpha"])
            } else {
                Issue.record("the result is not an object")
            }
            // A result of JSON null stays null; no result at all stays absent.
            #expect(read[1].result == .null)
            var noResult = steps[1]
            noResult.result = nil
            try await store.recordStepFinished(runID: run.id, step: noResult)
            #expect(try await store.steps(runID: run.id)[1].result == nil)
        }
    }

    @Test("finishing a run writes its status, times, error and every step", arguments: Backend.all)
    func finishRun(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let run = try await store.createRun(
                flowName: "etl", flowVersion: nil, document: [:], trigger: .schedule, triggeredBy: "cron", inputs: [:],
                node: nil)
            var skipped = StepRecord(name: "after", order: 1, module: "m.M", method: "x", status: .skipped)
            skipped.error = "not run: step 'fetch 0' failed: boom"
            var failed = Self.fullStep(order: 0)
            failed.status = .failed
            failed.error = "boom"
            let result = RunResult(
                runID: run.id, status: .failed, startedAt: Self.at(1), endedAt: Self.at(3.5),
                durationMs: 2_500, steps: [failed, skipped], error: "step 'fetch 0' failed: boom", context: [:])
            try await store.finishRun(runID: run.id, result: result)
            let finished = try #require(try await store.run(id: run.id))
            #expect(finished.status == .failed)
            #expect(finished.startedAt == milliseconds(Self.at(1)))
            #expect(finished.endedAt == milliseconds(Self.at(3.5)))
            #expect(finished.durationMs == 2_500)
            #expect(finished.error == "step 'fetch 0' failed: boom")
            #expect(try await store.steps(runID: run.id) == [failed, skipped])

            let missing = run.id + 1_000
            await #expect(throws: StoreError.runNotFound(missing)) {
                try await store.finishRun(runID: missing, result: result)
            }
            await #expect(throws: StoreError.runNotFound(missing)) {
                try await store.markRunStarted(runID: missing, startedAt: Self.t0, steps: [])
            }
            await #expect(throws: StoreError.runNotFound(missing)) {
                try await store.recordStepStarted(runID: missing, step: skipped)
            }
            #expect(try await store.steps(runID: missing) == [])
        }
    }

    @Test("runs list newest first, filtered by workflow (across renames) and status, with paging", arguments: Backend.all)
    func listRuns(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            func start(_ flow: String) async throws -> Int64 {
                try await store.createRun(
                    flowName: flow, flowVersion: nil, document: [:], trigger: .api, triggeredBy: nil, inputs: [:], node: nil
                ).id
            }
            let e1 = try await start("etl")
            let f1 = try await start("file-flow")
            let e2 = try await start("etl")
            let e3 = try await start("etl")
            try await store.finishRun(
                runID: e2,
                result: RunResult(
                    runID: e2, status: .success, startedAt: Self.t0, endedAt: Self.t0, durationMs: 0, steps: [], error: nil,
                    context: [:]))

            #expect(try await store.listRuns().map(\.id) == [e3, e2, f1, e1])
            #expect(try await store.listRuns(RunQuery(flowName: "etl")).map(\.id) == [e3, e2, e1])
            #expect(try await store.listRuns(RunQuery(flowName: "file-flow")).map(\.id) == [f1])
            #expect(try await store.listRuns(RunQuery(status: .success)).map(\.id) == [e2])
            #expect(try await store.listRuns(RunQuery(flowName: "etl", status: .running)).map(\.id) == [e3, e1])
            #expect(try await store.listRuns(RunQuery(limit: 2, offset: 1)).map(\.id) == [e2, f1])

            _ = try await store.renameFlow(from: "etl", to: "pipeline", author: nil)
            #expect(try await store.listRuns(RunQuery(flowName: "pipeline")).map(\.id) == [e3, e2, e1])
            #expect(try await store.listRuns(RunQuery(flowName: "pipeline")).first?.flowName == "etl")
            #expect(try await store.listRuns(RunQuery(flowName: "etl")) == [])
        }
    }

    @Test("interrupted runs of a node are closed as failed; their running steps fail and pending ones are skipped", arguments: Backend.all)
    func closeInterrupted(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            func start(_ node: String?, _ status: RunStatus = .running) async throws -> Int64 {
                try await store.createRun(
                    flowName: "etl", flowVersion: nil, document: [:], trigger: .api, triggeredBy: nil, inputs: [:],
                    status: status, node: node
                ).id
            }
            let running = try await start("a")
            let queued = try await start("a", .queued)
            let otherNode = try await start("b")
            let done = try await start("a")
            try await store.finishRun(
                runID: done,
                result: RunResult(
                    runID: done, status: .success, startedAt: Self.t0, endedAt: Self.t0, durationMs: 0, steps: [], error: nil,
                    context: [:]))
            var first = StepRecord(name: "one", order: 0, module: "m.M", method: "x", status: .success, attempts: 1)
            first.startedAt = Self.at(0)
            first.endedAt = Self.at(0.5)
            first.durationMs = 500
            var second = StepRecord(name: "two", order: 1, module: "m.M", method: "x", status: .running, attempts: 1)
            second.startedAt = Self.at(0.5)
            let third = StepRecord(name: "three", order: 2, module: "m.M", method: "x")
            try await store.markRunStarted(runID: running, startedAt: Self.t0, steps: [first, second, third])

            let now = Self.at(60)
            #expect(try await store.closeInterruptedRuns(node: "a", now: now) == 2)

            let closed = try #require(try await store.run(id: running))
            #expect(closed.status == .failed)
            #expect(closed.error == "interrupted: the process stopped")
            #expect(closed.endedAt == milliseconds(now))
            #expect(closed.durationMs == 60_000 - 0)
            let closedQueued = try #require(try await store.run(id: queued))
            #expect(closedQueued.status == .failed)
            #expect(closedQueued.durationMs == nil)
            #expect(try await store.run(id: otherNode)?.status == .running)
            #expect(try await store.run(id: done)?.status == .success)

            var failedSecond = second
            failedSecond.status = .failed
            failedSecond.error = "interrupted: the process stopped"
            failedSecond.endedAt = now
            failedSecond.durationMs = 59_500
            var skippedThird = third
            skippedThird.status = .skipped
            skippedThird.error = "not run: the process stopped"
            #expect(try await store.steps(runID: running) == [first, failedSecond, skippedThird])

            #expect(try await store.closeInterruptedRuns(node: nil, now: now) == 1)
            #expect(try await store.run(id: otherNode)?.status == .failed)
            #expect(try await store.closeInterruptedRuns(node: nil, now: now) == 0)
        }
    }
}
