import Foundation
import HTTPTypes
import Testing
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

@testable import WorkFlowServer

/// One Server-Sent Event as a client reads it.
struct ReceivedEvent: Sendable {
    var name: String
    var data: JSONValue
}

/// The events and the comments of an event stream, in order.
func readEventStream(_ text: String) -> (events: [ReceivedEvent], comments: [String], order: [String]) {
    var events: [ReceivedEvent] = []
    var comments: [String] = []
    var order: [String] = []
    for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
        var name = "message"
        var data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix(":") {
                comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
                order.append(":" + comments[comments.count - 1])
            } else if line.hasPrefix("event: ") {
                name = String(line.dropFirst("event: ".count))
            } else if line.hasPrefix("data: ") {
                data += line.dropFirst("data: ".count)
            }
        }
        if !data.isEmpty {
            events.append(ReceivedEvent(name: name, data: (try? JSONParser.parse(data)) ?? .null))
            order.append(name)
        }
    }
    return (events, comments, order)
}

@Suite("live run events (GET /api/v1/runs/<id>/events)")
struct RunEventsTests {
    static let gatedSteps: JSONValue = [
        ["name": "hold", "mod": "test.Gate", "method": "wait"],
        ["name": "greet", "mod": "common.Kt", "method": "prt1", "params": ["msg": "after the gate"]],
    ]

    @Test("a run executing here is followed through the hub: the snapshot first, then each step's start, log lines and end, then run_finished")
    func followsRunHere() async throws {
        let gate = GateModule.make()
        var registry = BuiltinModules.registry()
        registry.register(gate.module)
        let clock = ManualClock()
        let harness = try await ServerHarness.make(registry: registry, clock: clock)
        try await harness.test { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "gated", "document": ["procedures": Self.gatedSteps]])
            let started = try await client.send(.post, "/api/v1/flows/gated/runs")
            let runID = try #require(started.json["run_id"]?.intValue)
            for await _ in gate.arrivals { break }

            async let stream = client.send(.get, "/api/v1/runs/\(runID)/events")
            // The poll and heartbeat timers sleep once the snapshot is out; the clock never
            // moves, so everything after it comes from the hub.
            await clock.waitForSleepers(2)
            gate.open.yield()
            let answer = try await stream

            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/event-stream; charset=utf-8")
            #expect(answer.headers[.cacheControl] == "no-cache")
            let (events, _, order) = readEventStream(answer.text)
            #expect(order == ["snapshot", "log", "step_finished", "step_started", "log", "step_finished", "run_finished"])
            guard events.count == 7 else { return }

            let snapshot = events[0].data
            #expect(snapshot["run_id"] == .int(runID))
            #expect(snapshot["status"] == "running")
            #expect(snapshot["steps"]?[0]?["name"] == "hold")
            #expect(snapshot["steps"]?[0]?["status"] == "running")
            #expect(snapshot["steps"]?[1]?["status"] == "pending")

            #expect(events[1].data["step"] == "hold")
            #expect(events[1].data["message"] == "at the gate")
            #expect(events[1].data["level"] == "info")
            #expect(events[2].data["name"] == "hold")
            #expect(events[2].data["status"] == "success")
            #expect(events[2].data["result"] == ["status": true, "opened": true])
            #expect(events[2].data["module"] == "test.Gate.wait")
            #expect(events[3].data["name"] == "greet")
            #expect(events[3].data["status"] == "running")
            #expect(events[3].data["result"] == .null)
            #expect(events[4].data == ["step": "greet", "time": events[4].data["time"] ?? .null, "level": "info", "message": "after the gate"])
            #expect(events[5].data["name"] == "greet")
            #expect(events[5].data["result"] == ["status": 0, "msg": "ret from after the gate"])
            #expect(events[6].data["run_id"] == .int(runID))
            #expect(events[6].data["status"] == "success")
            #expect(events[6].data["steps"] == nil)
        }
    }

    @Test("a run executing on another node is followed by polling the store, with heartbeats while it is quiet")
    func followsRunElsewhere() async throws {
        let clock = ManualClock()
        let harness = try await ServerHarness.make(clock: clock)
        let store = harness.store
        try await harness.test { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": ["procedures": helloSteps]])
            let run = try await store.createRun(
                flowName: "hello", flowVersion: 1, document: ["procedures": helloSteps], trigger: .api, triggeredBy: "elsewhere",
                inputs: [:], status: .queued, node: "other-node:1")

            async let stream = client.send(.get, "/api/v1/runs/\(run.id)/events")
            await clock.waitForSleepers(2)

            // The other node starts the run and its step; the next poll tells it.
            let pending = StepRecord(name: "greet", order: 0, module: "common.Kt", method: "prt1")
            try await store.markRunStarted(runID: run.id, startedAt: clock.now(), steps: [pending])
            var step = pending
            step.status = .running
            step.attempts = 1
            step.startedAt = clock.now()
            try await store.recordStepStarted(runID: run.id, step: step)
            clock.advance(by: .milliseconds(500))
            await clock.waitForSleepers(2)  // the poll has been read and its timer sleeps again

            // Nothing changes for 15 seconds: a heartbeat, and polls that find nothing new.
            clock.advance(by: .seconds(15))
            await clock.waitForSleepers(2)

            step.status = .success
            step.endedAt = clock.now()
            step.durationMs = 40
            step.result = ["status": 0, "msg": "ret from hi"]
            step.logs = [StepLogLine(time: clock.now(), level: .info, message: "hi")]
            try await store.recordStepFinished(runID: run.id, step: step)
            try await store.finishRun(
                runID: run.id,
                result: RunResult(
                    runID: run.id, status: .success, startedAt: clock.now(), endedAt: clock.now(), durationMs: 45, steps: [step],
                    error: nil, context: [:]))
            clock.advance(by: .milliseconds(500))
            let answer = try await stream

            let (events, comments, order) = readEventStream(answer.text)
            #expect(order == ["snapshot", "run_started", "step_started", ":heartbeat", "log", "step_finished", "run_finished"])
            #expect(comments == ["heartbeat"])
            guard events.count == 6 else { return }
            #expect(events[0].data["status"] == "queued")
            #expect(events[0].data["steps"] == [])
            #expect(events[1].data["run_id"] == .int(Int(run.id)))
            #expect(events[2].data["name"] == "greet")
            #expect(events[2].data["status"] == "running")
            #expect(events[3].data["message"] == "hi")
            #expect(events[4].data["status"] == "success")
            #expect(events[4].data["duration_ms"] == 40)
            #expect(events[4].data["result"] == ["status": 0, "msg": "ret from hi"])
            #expect(events[5].data["status"] == "success")
            #expect(events[5].data["duration_ms"] == 45)
        }
    }

    @Test("a run that has ended gets its snapshot and run_finished at once; unknown runs are 404; credentials are needed")
    func endedRun() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": helloDocument])
            let run = try await client.send(.post, "/api/v1/flows/hello/runs?wait=30")
            let runID = try #require(run.json["run_id"]?.intValue)

            let answer = try await client.send(.get, "/api/v1/runs/\(runID)/events")
            let (events, _, order) = readEventStream(answer.text)
            #expect(order == ["snapshot", "run_finished"])
            #expect(events.first?.data["steps"]?[0]?["status"] == "success")
            #expect(events.last?.data["status"] == "success")

            let missing = try await client.send(.get, "/api/v1/runs/999999/events")
            #expect(missing.status == .notFound)
            #expect(missing.json["error"]?["code"] == "not_found")
            let anonymous = try await client.send(.get, "/api/v1/runs/\(runID)/events", as: .nobody)
            #expect(anonymous.status == .unauthorized)
        }
    }
}

@Suite("what a run's subscriber is told (RunFollowState)")
struct RunFollowStateTests {
    static let run = StoredRun(
        id: 7, flowName: "f", flowVersion: 1, trigger: .api, triggeredBy: nil, inputs: [:], status: .running,
        createdAt: Date(timeIntervalSince1970: 0), startedAt: Date(timeIntervalSince1970: 0), endedAt: nil, durationMs: nil, error: nil,
        node: "n")

    static func step(_ name: String, _ status: StepStatus, started: Bool = true) -> StepRecord {
        StepRecord(
            name: name, order: 0, module: "common.Kt", method: "prt1", status: status, attempts: 1,
            startedAt: started ? Date(timeIntervalSince1970: 1) : nil, endedAt: status.isFinal ? Date(timeIntervalSince1970: 2) : nil,
            logs: status.isFinal && started ? [StepLogLine(time: Date(timeIntervalSince1970: 2), level: .info, message: "done")] : [])
    }

    @Test("the same change reported by the hub and by a poll is told once")
    func once() {
        var state = RunFollowState()
        _ = state.snapshot(run: Self.run, steps: [Self.step("a", .pending)])
        #expect(state.step(Self.step("a", .running)).map(\.kind) == [.stepStarted])
        #expect(state.polled(run: Self.run, steps: [Self.step("a", .running)]).isEmpty)
        #expect(state.step(Self.step("a", .success)).map(\.kind) == [.log, .stepFinished])
        #expect(state.polled(run: Self.run, steps: [Self.step("a", .success)]).isEmpty)
        #expect(state.runStarted(runID: 7, at: Date()).isEmpty, "the snapshot showed the run started")
    }

    @Test("a step first seen finished is told started first; a skipped step that never started only finishes")
    func lateStart() {
        var state = RunFollowState()
        _ = state.snapshot(run: Self.run, steps: [Self.step("a", .pending), Self.step("b", .pending, started: false)])
        let events = state.polled(run: Self.run, steps: [Self.step("a", .failed), Self.step("b", .skipped, started: false)])
        #expect(events.map(\.kind) == [.stepStarted, .log, .stepFinished, .stepFinished])
        #expect(events[0].data["status"] == "running")
        #expect(events[0].data["ended_at"] == .null)
        #expect(events[3].data["status"] == "skipped")
    }

    @Test("run_finished comes last and nothing follows it")
    func finishedLast() {
        var state = RunFollowState()
        var run = Self.run
        run.status = .queued
        run.startedAt = nil
        #expect(state.snapshot(run: run, steps: []).map(\.kind) == [.snapshot])
        run.status = .failed
        run.startedAt = Date(timeIntervalSince1970: 0)
        run.endedAt = Date(timeIntervalSince1970: 3)
        let events = state.polled(run: run, steps: [Self.step("a", .failed)])
        #expect(events.map(\.kind) == [.runStarted, .stepStarted, .log, .stepFinished, .runFinished])
        #expect(state.finished)
        #expect(state.step(Self.step("b", .success)).isEmpty)
        #expect(state.polled(run: run, steps: []).isEmpty)
    }

    @Test("a run already ended gets its snapshot and run_finished")
    func alreadyEnded() {
        var state = RunFollowState()
        var run = Self.run
        run.status = .cancelled
        #expect(state.snapshot(run: run, steps: []).map(\.kind) == [.snapshot, .runFinished])
        #expect(state.finished)
    }
}
