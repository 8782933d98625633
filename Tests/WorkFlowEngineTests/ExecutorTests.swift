import Foundation
import Testing
import WorkFlowEngine

@Suite("Executor", .timeLimit(.minutes(1)))
struct ExecutorTests {
    @Test("a seed workflow runs in list order and later steps see earlier results")
    func seedOrder() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("step1", "kt", #""params": {"msg": "hello"}"#),
                step("step2", "echo", #""params": {"msg": "@step1.msg", "n": "@step1.status"}"#),
                step("step3", "echo", #""params": {"text": "${step2.msg}, world", "all": "@step2"}"#)))
        #expect(harness.observations.calls == ["step1", "step2", "step3"])
        #expect(result.status == .success)
        #expect(result.error == nil)
        #expect(result.steps.map(\.status) == [.success, .success, .success])
        #expect(result.step("step2")?.result == ["status": true, "msg": "hello", "n": 0])
        #expect(
            result.step("step3")?.result
                == ["status": true, "text": "hello, world", "all": ["status": true, "msg": "hello", "n": 0]])
    }

    @Test("steps reused from an earlier run are not called again; later steps see their results")
    func reusedSteps() async throws {
        let harness = ExecutorHarness()
        var earlier = StepRecord(name: "step1", order: 0, module: "test.Probe", method: "kt", params: [:])
        earlier.status = .success
        earlier.result = ["status": 0, "msg": "from before"]
        let result = try await harness.run(
            flow(
                step("step1", "kt", #""params": {"msg": "hello"}"#),
                step("step2", "echo", #""params": {"msg": "@step1.msg"}"#)),
            options: RunOptions(reusedSteps: ["step1": earlier, "ghost": earlier]))
        #expect(harness.observations.calls == ["step2"])
        #expect(result.status == .success)
        #expect(result.step("step1") == earlier)
        #expect(result.step("step2")?.result == ["status": true, "msg": "from before"])
        #expect(await harness.eventLines() == ["runStarted", "stepFinished step1 success", "stepStarted step2", "stepFinished step2 success", "runFinished success"])
    }

    @Test("the seed's integer status 0 is a success")
    func statusZero() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("kt", "kt", #""params": {"msg": "x"}"#), step("next", "echo")))
        #expect(result.status == .success)
        #expect(result.step("kt")?.status == .success)
        #expect(result.step("kt")?.result == ["status": 0, "msg": "x"])
        #expect(result.step("next")?.status == .success)
    }

    @Test("a step returning status false fails and stops the run; later steps are skipped")
    func statusFalseStops() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "echo"), step("b", "fail", #""params": {"message": "disk full"}"#), step("c", "echo")))
        #expect(harness.observations.calls == ["a", "b"])
        #expect(result.status == .failed)
        #expect(result.error == "step 'b' failed: disk full")
        let b = try #require(result.step("b"))
        #expect(b.status == .failed)
        #expect(b.error == "disk full")
        #expect(b.result == ["status": false, "error": "disk full"])
        #expect(b.attempts == 1)
        let c = try #require(result.step("c"))
        #expect(c.status == .skipped)
        #expect(c.error == "not run: step 'b' failed: disk full")
        #expect(c.attempts == 0)
        #expect(c.startedAt == nil)
    }

    @Test("a failing step cancels the steps running beside it")
    func failureCancelsSiblings() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let result = try await harness.run(
            flow(
                step("slow", "block", #""depends_on": []"#),
                step("bad", "throw", #""depends_on": [], "params": {"message": "boom"}"#),
                step("after", "echo", #""depends_on": ["slow", "bad"]"#)))
        #expect(result.status == .failed)
        #expect(result.error == "step 'bad' failed: boom")
        #expect(result.steps.map(\.status) == [.cancelled, .failed, .skipped])
        #expect(result.step("slow")?.error == "cancelled: step 'bad' failed: boom")
        #expect(result.step("after")?.error == "not run: step 'bad' failed: boom")
        #expect(harness.observations.cancelled == ["slow"])
    }

    @Test("a thrown error fails the step with the error's text")
    func thrownError() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "throw", #""params": {"message": "kaboom"}"#)))
        let a = try #require(result.step("a"))
        #expect(a.status == .failed)
        #expect(a.error == "kaboom")
        #expect(a.result == nil)
        #expect(a.attempts == 1)
        #expect(result.error == "step 'a' failed: kaboom")
    }

    @Test("a step whose when is false is skipped and the steps after it still run")
    func whenFalse() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("a", "echo", #""params": {"n": 1}"#),
                step("b", "echo", #""when": "@a.n > 1""#),
                step("c", "echo", #""when": "@a.n == 1 and @var.env == 'prod'""#),
                step("d", "echo", #""when": false"#),
                step("e", "echo"),
                extra: #""variables": {"env": "prod"}"#))
        #expect(harness.observations.calls == ["a", "c", "e"])
        #expect(result.status == .success)
        #expect(result.steps.map(\.status) == [.success, .skipped, .success, .skipped, .success])
        let b = try #require(result.step("b"))
        #expect(b.logs.map(\.message) == ["skipped: the condition @a.n > 1 is false"])
        #expect(b.error == nil)
        #expect(b.attempts == 0)
        #expect(result.step("d")?.logs.map(\.message) == ["skipped: when is false"])
        #expect(result.context["b"] == nil)
    }

    @Test("a step that reads a skipped step's result fails and says why")
    func readsSkippedStep() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "echo", #""when": "false""#), step("b", "echo", #""params": {"x": "@a.status"}"#)))
        let b = try #require(result.step("b"))
        #expect(b.status == .failed)
        #expect(b.error == "@a.status: step 'a' was skipped, so it has no result")
        #expect(b.attempts == 0)
        #expect(b.params == ["x": "@a.status"])
        #expect(harness.observations.calls == [])
    }

    @Test("a missing key fails the step with a message naming the reference and the keys there are")
    func missingKey() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "echo", #""params": {"rows": 3}"#), step("b", "echo", #""params": {"x": "@a.count"}"#)))
        #expect(result.step("b")?.error == "@a.count: key 'count' not found in the result of step 'a' (available: status, rows)")
        #expect(result.error == "step 'b' failed: @a.count: key 'count' not found in the result of step 'a' (available: status, rows)")
    }

    @Test("a when condition that cannot be evaluated fails the step")
    func whenError() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "echo", #""params": {"name": "x"}"#), step("b", "echo", #""when": "@a.name > 3""#)))
        let b = try #require(result.step("b"))
        #expect(b.status == .failed)
        #expect(b.error == #"when: cannot compare string "x" with number 3 using >"#)
        #expect(b.attempts == 0)
    }

    @Test("a disabled step is skipped without starting and the steps after it run")
    func disabled() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "echo"), step("b", "echo", #""disabled": true"#), step("c", "echo")))
        #expect(harness.observations.calls == ["a", "c"])
        #expect(result.status == .success)
        #expect(result.step("b")?.status == .skipped)
        #expect(result.step("b")?.error == "the step is disabled")
        #expect(
            await harness.eventLines() == [
                "runStarted", "stepStarted a", "stepFinished a success", "stepFinished b skipped", "stepStarted c",
                "stepFinished c success", "runFinished success",
            ])
    }

    @Test("on_error continue records the failure, the run goes on and later steps see status false")
    func continueOnError() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("soft", "fail", #""params": {"message": "disk full"}, "on_error": "continue""#),
                step("hard", "throw", #""params": {"message": "kaboom"}, "on_error": "continue""#),
                step("check", "echo", #""params": {"soft": "@soft", "hard": "@hard"}"#),
                step("branch", "echo", #""when": "@hard.status == false""#)))
        #expect(result.status == .success)
        #expect(result.error == nil)
        #expect(result.steps.map(\.status) == [.failed, .failed, .success, .success])
        #expect(result.step("soft")?.error == "disk full")
        #expect(
            result.step("check")?.result
                == ["status": true, "soft": ["status": false, "error": "disk full"], "hard": ["status": false, "error": "kaboom"]])
        #expect(result.context["hard"] == ["status": false, "error": "kaboom"])
    }

    @Test("the workflow's on_error is the default, and a step's own on_error wins")
    func workflowOnError() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("a", "fail"),
                step("b", "fail", #""params": {"message": "strict"}, "on_error": "fail""#),
                step("c", "echo"),
                extra: #""on_error": "continue""#))
        #expect(result.status == .failed)
        #expect(result.steps.map(\.status) == [.failed, .failed, .skipped])
        #expect(result.error == "step 'b' failed: strict")
    }

    @Test("events come in order: run started, each step started and finished, run finished")
    func eventOrder() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "echo", #""params": {"password": "hunter2", "x": 1}"#), step("b", "fail"), step("c", "echo")),
            options: RunOptions(runID: 42))
        #expect(
            await harness.eventLines() == [
                "runStarted", "stepStarted a", "stepFinished a success", "stepStarted b", "stepFinished b failed",
                "stepFinished c skipped", "runFinished failed",
            ])
        let events = await harness.recorder.events
        guard case .runStarted(let runID, let startedAt, let pending) = events.first else {
            Issue.record("the first event is not runStarted")
            return
        }
        #expect(runID == 42)
        #expect(startedAt == harness.clock.now())
        #expect(pending.map(\.status) == [.pending, .pending, .pending])
        #expect(pending.map(\.order) == [0, 1, 2])
        #expect(pending[0].params == ["password": "******", "x": 1])
        guard case .stepStarted(let started) = events[1] else {
            Issue.record("the second event is not stepStarted")
            return
        }
        #expect(started.status == .running)
        #expect(started.startedAt == harness.clock.now())
        guard case .runFinished(let finished) = events.last else {
            Issue.record("the last event is not runFinished")
            return
        }
        #expect(finished == result)
        #expect(result.runID == 42)
    }

    @Test("a step record holds order, module, method, resolved params, attempts and times")
    func stepRecord() async throws {
        let harness = ExecutorHarness()
        let start = harness.clock.now()
        let result = try await harness.run(
            flow(
                step("first", "echo", #""params": {"v": 7}"#),
                step("second", "flaky", #""params": {"failures": 1, "from": "@first.v"}, "retry": {"count": 1, "delay": 2}"#)))
        let second = try #require(result.step("second"))
        #expect(second.name == "second")
        #expect(second.order == 1)
        #expect(second.module == "test.Probe")
        #expect(second.method == "flaky")
        #expect(second.params == ["failures": 1, "from": 7])
        #expect(second.status == .success)
        #expect(second.attempts == 2)
        #expect(second.startedAt == start)
        #expect(second.endedAt == start.addingTimeInterval(2))
        #expect(second.durationMs == 2000)
        #expect(second.result == ["status": true, "call": 2])
        #expect(second.error == nil)
        #expect(result.startedAt == start)
        #expect(result.endedAt == start.addingTimeInterval(2))
        #expect(result.durationMs == 2000)
    }

    @Test("log lines a module writes are kept in its step record")
    func stepLogs() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "log", #""params": {"lines": ["one", "two"]}"#)))
        let logs = try #require(result.step("a")?.logs)
        #expect(logs.map(\.message) == ["one", "two"])
        #expect(logs.map(\.level) == [.info, .info])
        #expect(logs.map(\.time) == [harness.clock.now(), harness.clock.now()])
    }

    @Test("secrets are masked in step params, logs, results, errors and the run context")
    func secretsMasked() async throws {
        let harness = ExecutorHarness(
            systemVariables: InMemorySystemVariables([
                "db_password": SystemVariable(value: "s3cr3t-pw", isSecret: true),
                "db_host": SystemVariable(value: "db.local"),
            ]))
        let result = try await harness.run(
            flow(
                step(
                    "connect", "log",
                    #""params": {"lines": ["connecting with s3cr3t-pw", "password is ${sys.db_password}"], "dsn": "pg://u:${sys.db_password}@${sys.db_host}", "key": "@sys.db_password", "password": "literal-pass", "api_token": "tok-123", "user": "bob"}"#
                ),
                step("login", "fail", #""params": {"message": "login failed for ${sys.db_password}"}"#)))
        let connect = try #require(result.step("connect"))
        let masked: JSONValue = [
            "lines": ["connecting with ******", "password is ******"], "dsn": "pg://u:******@db.local", "key": "******",
            "password": "******", "api_token": "******", "user": "bob",
        ]
        #expect(connect.params == masked)
        #expect(connect.logs.map(\.message) == ["connecting with ******", "password is ******"])
        #expect(connect.result == (["status": true] as JSONValue).merging(masked))
        #expect(result.step("login")?.error == "login failed for ******")
        #expect(result.step("login")?.params == ["message": "login failed for ******"])
        #expect(result.error == "step 'login' failed: login failed for ******")
        let context = JSONWriter.string(from: .object(result.context))
        #expect(!context.contains("s3cr3t-pw"))
        #expect(!context.contains("literal-pass"))
    }

    @Test("the run context holds var (inputs over variables) and the results of steps that produced one")
    func runContext() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("a", "echo", #""params": {"env": "@var.env"}"#),
                step("b", "echo", #""when": "false""#),
                step("c", "kt", #""params": {"msg": "${var.region}"}"#),
                extra: #""variables": {"env": "dev", "region": "eu"}, "inputs": {"env": {"type": "string"}}"#),
            options: RunOptions(inputs: ["env": "prod"]))
        #expect(
            result.context == [
                "var": ["env": "prod", "region": "eu"], "a": ["status": true, "env": "prod"], "c": ["status": 0, "msg": "eu"],
            ])
    }

    @Test("a workflow without variables has no var in its context, and a failed step has no result there")
    func contextWithoutVariables() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "echo"), step("b", "fail")))
        #expect(result.context == ["a": ["status": true]])
    }

    @Test("system variables are asked for with the run's id, who started it and the step")
    func systemVariableRequests() async throws {
        struct Recording: SystemVariableProvider {
            let seen = ProbeObservations()
            func variable(named name: String, for request: SystemVariableRequest) async throws -> SystemVariable? {
                seen.called("\(name) run=\(request.runID ?? 0) by=\(request.triggeredBy ?? "-") step=\(request.stepName)")
                return SystemVariable(value: "v")
            }
        }
        let provider = Recording()
        let observations = ProbeObservations()
        let executor = Executor(
            registry: ModuleRegistry([ProbeModule(observations: observations)]), clock: ManualClock(), systemVariables: provider)
        let workflow = try validWorkflow(flow(step("deploy", "echo", #""params": {"key": "@sys.ssh_key"}"#)))
        let result = try await executor.run(workflow, options: RunOptions(runID: 7, triggeredBy: "alice"))
        #expect(result.step("deploy")?.result == ["status": true, "key": "v"])
        #expect(provider.seen.calls == ["ssh_key run=7 by=alice step=deploy"])
    }

    @Test("an empty workflow succeeds at once")
    func emptyWorkflow() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(#"{"procedures": []}"#)
        #expect(result.status == .success)
        #expect(result.steps == [])
        #expect(await harness.eventLines() == ["runStarted", "runFinished success"])
    }

    @Test("a module that is not registered fails its step (for workflows run without validation)")
    func unknownModuleAtRunTime() async throws {
        let harness = ExecutorHarness()
        let workflow = try Workflow(json: #"{"procedures": [{"name": "a", "mod": "test.Gone", "method": "x"}]}"#)
        let result = try await harness.executor.run(workflow)
        #expect(result.step("a")?.status == .failed)
        #expect(result.step("a")?.error == "unknown module 'test.Gone' (modules: test.Probe, test.Other)")
        #expect(result.step("a")?.attempts == 0)
    }

    @Test("run resources are closed once when the run succeeds, fails or is cancelled")
    func resourcesClosed() async throws {
        let succeeded = ExecutorHarness()
        let success = try await succeeded.run(flow(step("open", "open"), step("after", "echo")))
        #expect(success.status == .success)
        #expect(succeeded.resource.closeCount == 1)

        let failed = ExecutorHarness()
        let failure = try await failed.run(flow(step("open", "open"), step("bad", "throw")))
        #expect(failure.status == .failed)
        #expect(failed.resource.closeCount == 1)

        let cancelled = ExecutorHarness(autoAdvance: false)
        let task = try cancelled.start(flow(step("open", "open"), step("wait", "block")))
        await cancelled.clock.waitForSleepers(1)
        #expect(cancelled.resource.closeCount == 0)
        task.cancel()
        #expect(try await task.value.status == .cancelled)
        #expect(cancelled.resource.closeCount == 1)
    }

    @Test("cancelling the run's task cancels the running step and skips the rest")
    func cancellation() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "echo"), step("b", "block"), step("c", "echo")))
        await harness.clock.waitForSleepers(1)
        task.cancel()
        let result = try await task.value
        #expect(result.status == .cancelled)
        #expect(result.error == "the run was cancelled")
        #expect(result.steps.map(\.status) == [.success, .cancelled, .skipped])
        #expect(result.step("b")?.error == "cancelled: the run was cancelled")
        #expect(result.step("c")?.error == "not run: the run was cancelled")
        #expect(harness.observations.cancelled == ["b"])
        #expect(harness.observations.calls == ["a", "b"])
        #expect(
            await harness.eventLines() == [
                "runStarted", "stepStarted a", "stepFinished a success", "stepStarted b", "stepFinished b cancelled",
                "stepFinished c skipped", "runFinished cancelled",
            ])
    }

    @Test("a step that answers cancellation with a failure result is recorded cancelled, not failed")
    func cancelledStepReturningFailure() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "killable"), step("b", "echo")))
        await harness.clock.waitForSleepers(1)
        task.cancel()
        let result = try await task.value
        #expect(result.status == .cancelled)
        #expect(result.error == "the run was cancelled")
        let a = try #require(result.step("a"))
        #expect(a.status == .cancelled)
        #expect(a.error == "cancelled: the run was cancelled")
        #expect(a.result == ["status": false, "exit_code": -1])
        #expect(harness.observations.cancelled == ["a"])
    }

    @Test("a sibling that answers cancellation with a failure result is recorded cancelled")
    func siblingReturningFailure() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let result = try await harness.run(
            flow(step("slow", "killable", #""depends_on": []"#), step("bad", "throw", #""depends_on": [], "params": {"message": "boom"}"#)))
        #expect(result.status == .failed)
        #expect(result.error == "step 'bad' failed: boom")
        #expect(result.steps.map(\.status) == [.cancelled, .failed])
        #expect(result.step("slow")?.error == "cancelled: step 'bad' failed: boom")
    }

    @Test("a run started on a task that is already cancelled ends cancelled")
    func startedCancelled() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let workflow = try validWorkflow(flow(step("a", "block"), step("b", "echo")))
        let executor = harness.executor
        let recorder = harness.recorder
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await executor.run(workflow, recorder: recorder)
        }
        let result = try await task.value
        #expect(result.status == .cancelled)
        #expect(result.steps.map(\.status) == [.cancelled, .skipped])
        #expect(harness.observations.calls == ["a"])
    }

    @Test("steps with depends_on [] really run at the same time")
    func realParallelism() async throws {
        // Each call waits at the gate until all three have arrived: only a parallel run gets through.
        let gate = Gate(opensAt: 3)
        let harness = ExecutorHarness(gate: gate)
        let result = try await harness.run(
            flow(
                step("a", "concurrency", #""depends_on": []"#), step("b", "concurrency", #""depends_on": []"#),
                step("c", "concurrency", #""depends_on": []"#), step("join", "echo", #""depends_on": ["a", "b", "c"]"#)))
        #expect(result.status == .success)
        #expect(await gate.maxInFlight == 3)
        #expect(harness.observations.calls.last == "join")
        #expect(result.steps.map(\.name) == ["a", "b", "c", "join"])
    }

    @Test("the workflow's max_parallel bounds how many steps run at once")
    func maxParallelBound() async throws {
        let gate = Gate()
        let harness = ExecutorHarness(gate: gate)
        let task = try harness.start(
            flow(
                step("a", "concurrency", #""depends_on": []"#), step("b", "concurrency", #""depends_on": []"#),
                step("c", "concurrency", #""depends_on": []"#), step("d", "concurrency", #""depends_on": []"#),
                extra: #""max_parallel": 2"#))
        for released in 0..<4 {
            let expectedHeld = min(2, 4 - released)
            await gate.waitUntilHeld(expectedHeld)
            // Give an executor that ignored the bound every chance to start one more.
            for _ in 0..<100 { await Task.yield() }
            #expect(await gate.inFlight == expectedHeld)
            #expect(await gate.arrivals == released + expectedHeld)
            await gate.releaseOne()
        }
        let result = try await task.value
        #expect(result.status == .success)
        #expect(await gate.maxInFlight == 2)
        #expect(harness.observations.calls.sorted() == ["a", "b", "c", "d"])
    }
}

extension JSONValue {
    /// This object with `other`'s members added (test convenience).
    fileprivate func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(var mine) = self, case .object(let theirs) = other else { return self }
        for (key, value) in theirs { mine[key] = value }
        return .object(mine)
    }
}
