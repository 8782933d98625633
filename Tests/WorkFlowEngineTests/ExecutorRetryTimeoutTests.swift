import Foundation
import Testing
import WorkFlowEngine

@Suite("Executor: foreach", .timeLimit(.minutes(1)))
struct ExecutorForeachTests {
    @Test("foreach runs the step once per item with @item and @index and collects the results in order")
    func foreachItems() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("list", "echo", #""params": {"data": [{"id": 10}, {"id": 20}, {"id": 30}]}"#),
                step("each", "echo", #""foreach": "@list.data", "params": {"id": "@item.id", "pos": "@index", "label": "item ${index}: ${item.id}"}"#)))
        #expect(harness.observations.calls == ["list", "each", "each", "each"])
        let each = try #require(result.step("each"))
        #expect(each.status == .success)
        #expect(each.attempts == 1)
        #expect(
            each.result == [
                "status": true,
                "data": [
                    ["status": true, "id": 10, "pos": 0, "label": "item 0: 10"],
                    ["status": true, "id": 20, "pos": 1, "label": "item 1: 20"],
                    ["status": true, "id": 30, "pos": 2, "label": "item 2: 30"],
                ],
            ])
        #expect(result.context["each"] == each.result)
    }

    @Test("foreach accepts a literal array, and an empty one gives an empty data list")
    func literalAndEmpty() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(
                step("literal", "kt", #""foreach": ["a", "b"], "params": {"msg": "@item"}"#),
                step("empty", "echo", #""foreach": [], "params": {"x": "@item"}"#)))
        #expect(result.step("literal")?.result == ["status": true, "data": [["status": 0, "msg": "a"], ["status": 0, "msg": "b"]]])
        #expect(result.step("empty")?.result == ["status": true, "data": []])
        #expect(result.step("empty")?.attempts == 0)
    }

    @Test("foreach over something that is not an array fails the step")
    func notAnArray() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("list", "echo", #""params": {"data": {"a": 1}}"#), step("each", "echo", #""foreach": "@list.data""#)))
        #expect(result.step("each")?.status == .failed)
        #expect(result.step("each")?.error == "foreach: @list.data is an object, not an array")
        #expect(harness.observations.calls == ["list"])
    }

    @Test("foreach over a missing reference fails the step with the reference's message")
    func missingList() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("list", "echo"), step("each", "echo", #""foreach": "@list.rows""#)))
        #expect(result.step("each")?.error == "foreach: @list.rows: key 'rows' not found in the result of step 'list' (available: status)")
    }

    @Test("an item that fails fails the step with the item's index; later items do not start")
    func itemFailure() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("each", "flaky", #""foreach": [0, 5, 0], "params": {"failures": "@item", "key": "k${index}"}"#)))
        let each = try #require(result.step("each"))
        #expect(each.status == .failed)
        #expect(each.error == "item 1: flaky failure 1")
        #expect(each.result == nil)
        #expect(harness.observations.calls == ["each", "each"])
        #expect(result.status == .failed)
        #expect(result.error == "step 'each' failed: item 1: flaky failure 1")
    }

    @Test("an item whose parameters cannot be resolved fails the step")
    func itemResolutionFailure() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("each", "echo", #""foreach": [{"name": "a"}, {}], "params": {"n": "@item.name"}"#)))
        #expect(result.step("each")?.error == "item 1: @item.name: key 'name' not found in the item (it is empty)")
    }

    @Test("each item is retried on its own; the step's attempts are the most any item needed")
    func itemRetries() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("each", "flaky", #""foreach": [0, 1, 0], "params": {"failures": "@item", "key": "k${index}"}, "retry": 2"#)))
        let each = try #require(result.step("each"))
        #expect(each.status == .success)
        #expect(each.attempts == 2)
        #expect(each.result == ["status": true, "data": [["status": true, "call": 1], ["status": true, "call": 2], ["status": true, "call": 1]]])
    }

    @Test("max_parallel lets foreach items run at the same time")
    func parallelItems() async throws {
        let gate = Gate(opensAt: 3)
        let harness = ExecutorHarness(gate: gate)
        let result = try await harness.run(flow(step("each", "concurrency", #""foreach": [1, 2, 3], "max_parallel": 3"#)))
        #expect(result.step("each")?.status == .success)
        #expect(await gate.maxInFlight == 3)
    }

    @Test("max_parallel bounds the items in flight")
    func boundedItems() async throws {
        let gate = Gate()
        let harness = ExecutorHarness(gate: gate)
        let task = try harness.start(flow(step("each", "concurrency", #""foreach": [1, 2, 3, 4], "max_parallel": 2"#)))
        for released in 0..<4 {
            let expectedHeld = min(2, 4 - released)
            await gate.waitUntilHeld(expectedHeld)
            for _ in 0..<100 { await Task.yield() }
            #expect(await gate.inFlight == expectedHeld)
            #expect(await gate.arrivals == released + expectedHeld)
            await gate.releaseOne()
        }
        let result = try await task.value
        #expect(result.step("each")?.result == ["status": true, "data": [["status": true], ["status": true], ["status": true], ["status": true]]])
        #expect(await gate.maxInFlight == 2)
    }

    @Test("cancelling the run cancels a foreach step's items")
    func cancelledItems() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("each", "block", #""foreach": [1, 2], "max_parallel": 2"#)))
        await harness.clock.waitForSleepers(2)
        task.cancel()
        let result = try await task.value
        #expect(result.status == .cancelled)
        #expect(result.step("each")?.status == .cancelled)
        #expect(harness.observations.cancelled == ["each", "each"])
    }
}

@Suite("Executor: retries", .timeLimit(.minutes(1)))
struct ExecutorRetryTests {
    @Test(
        "retry delays: fixed, exponential, capped by max_delay",
        arguments: [
            (RetryPolicy(count: 3, delay: 2), [2.0, 2, 2]),
            (RetryPolicy(count: 4, delay: 1, backoff: .exponential), [1.0, 2, 4, 8]),
            (RetryPolicy(count: 4, delay: 2, backoff: .exponential, maxDelay: 5), [2.0, 4, 5, 5]),
            (RetryPolicy(count: 2, delay: 3, maxDelay: 1), [1.0, 1]),
            (RetryPolicy(count: 2), [0.0, 0]),
        ] as [(RetryPolicy, [Double])])
    func delays(policy: RetryPolicy, expected: [Double]) {
        #expect((1...policy.count).map { policy.delay(afterAttempt: $0) } == expected)
    }

    @Test("a failed attempt is retried after an exponential delay capped by max_delay")
    func exponentialBackoff() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "flaky", #""params": {"failures": 2}, "retry": {"count": 3, "delay": 2, "backoff": "exponential", "max_delay": 3}"#)))
        let a = try #require(result.step("a"))
        #expect(a.status == .success)
        #expect(a.attempts == 3)
        #expect(a.result == ["status": true, "call": 3])
        #expect(harness.clock.sleeps == [.seconds(2), .seconds(3)])
        #expect(a.durationMs == 5000)
        #expect(
            a.logs.map(\.message) == [
                "attempt 1 of 4 failed: flaky failure 1; retrying in 2 s", "attempt 2 of 4 failed: flaky failure 2; retrying in 3 s",
            ])
        #expect(a.logs.map(\.level) == [.warning, .warning])
    }

    @Test("when the retries run out the step fails with the last attempt's error")
    func retriesExhausted() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "flaky", #""params": {"failures": 5}, "retry": {"count": 2, "delay": 1.5}"#)))
        let a = try #require(result.step("a"))
        #expect(a.status == .failed)
        #expect(a.attempts == 3)
        #expect(a.error == "flaky failure 3")
        #expect(harness.clock.sleeps == [.milliseconds(1500), .milliseconds(1500)])
        #expect(harness.observations.calls == ["a", "a", "a"])
        #expect(a.logs.last?.message == "flaky failure 3")
        #expect(a.logs.last?.level == .error)
    }

    @Test("retry given as a number retries at once, without sleeping")
    func retryShorthand() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "flaky", #""params": {"failures": 2}, "retry": 2"#)))
        #expect(result.step("a")?.status == .success)
        #expect(result.step("a")?.attempts == 3)
        #expect(harness.clock.sleeps == [])
        #expect(result.step("a")?.logs.map(\.message).first == "attempt 1 of 3 failed: flaky failure 1; retrying")
    }

    @Test("thrown errors are retried too")
    func thrownErrorsRetried() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "throw", #""params": {"message": "kaboom"}, "retry": {"count": 1, "delay": 1}"#)))
        #expect(result.step("a")?.attempts == 2)
        #expect(result.step("a")?.error == "kaboom")
        #expect(harness.clock.sleeps == [.seconds(1)])
    }

    @Test("exponential backoff without max_delay grows until a duration can hold no more")
    func unboundedBackoff() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(
            flow(step("a", "flaky", #""params": {"failures": 70}, "retry": {"count": 70, "delay": 1, "backoff": "exponential"}"#)))
        #expect(result.step("a")?.status == .success)
        #expect(result.step("a")?.attempts == 71)
        #expect(harness.clock.sleeps.prefix(3) == [.seconds(1), .seconds(2), .seconds(4)])
        #expect(harness.clock.sleeps.last == .nanoseconds(Int64.max))
    }

    @Test("the largest retry count does not overflow the attempt count")
    func hugeRetryCount() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "flaky", #""params": {"failures": 2}, "retry": 9223372036854775807"#)))
        #expect(result.step("a")?.attempts == 3)
        #expect(result.step("a")?.logs.first?.message == "attempt 1 of 9223372036854775807 failed: flaky failure 1; retrying")
    }

    @Test("a step that fails without retry makes one attempt")
    func noRetry() async throws {
        let harness = ExecutorHarness()
        let result = try await harness.run(flow(step("a", "flaky", #""params": {"failures": 1}"#)))
        #expect(result.step("a")?.attempts == 1)
        #expect(result.step("a")?.status == .failed)
    }

    @Test("cancelling the run during a retry delay cancels the step")
    func cancelledDuringDelay() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "flaky", #""params": {"failures": 5}, "retry": {"count": 3, "delay": 10}"#)))
        await harness.clock.waitForSleepers(1)
        task.cancel()
        let result = try await task.value
        #expect(result.status == .cancelled)
        #expect(result.step("a")?.status == .cancelled)
        #expect(result.step("a")?.attempts == 1)
        #expect(harness.observations.calls == ["a"])
    }
}

@Suite("Executor: timeouts", .timeLimit(.minutes(1)))
struct ExecutorTimeoutTests {
    @Test("a step that outlives its timeout is cancelled and fails")
    func stepTimeout() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "block", #""timeout": 5"#), step("b", "echo")))
        // The module's sleep and the timeout's.
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: .seconds(5))
        let result = try await task.value
        let a = try #require(result.step("a"))
        #expect(a.status == .failed)
        #expect(a.error == "timed out after 5 s")
        #expect(a.durationMs == 5000)
        #expect(a.attempts == 1)
        #expect(harness.observations.cancelled == ["a"])
        #expect(result.status == .failed)
        #expect(result.error == "step 'a' failed: timed out after 5 s")
        #expect(result.step("b")?.status == .skipped)
    }

    @Test("fractional timeouts are written as they were given")
    func fractionalTimeout() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "block", #""timeout": 0.5"#)))
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: .milliseconds(500))
        let result = try await task.value
        #expect(result.step("a")?.error == "timed out after 0.5 s")
        #expect(result.step("a")?.durationMs == 500)
    }

    @Test("each attempt gets the full timeout")
    func timeoutWithRetry() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "block", #""timeout": 5, "retry": 1"#)))
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: .seconds(5))
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: .seconds(5))
        let result = try await task.value
        #expect(result.step("a")?.attempts == 2)
        #expect(result.step("a")?.error == "timed out after 5 s")
        #expect(result.step("a")?.durationMs == 10_000)
        #expect(harness.observations.cancelled == ["a", "a"])
    }

    @Test("a step that finishes in time succeeds and leaves no timer behind")
    func finishesInTime() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let result = try await harness.run(flow(step("a", "echo", #""timeout": 5"#)))
        #expect(result.step("a")?.status == .success)
        #expect(harness.clock.sleeperCount == 0)
        #expect(harness.clock.sleeps == [.seconds(5)])
    }

    @Test("a timed-out step with on_error continue lets the run go on")
    func timeoutContinues() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "block", #""timeout": 5, "on_error": "continue""#), step("b", "echo", #""params": {"seen": "@a"}"#)))
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: .seconds(5))
        let result = try await task.value
        #expect(result.status == .success)
        #expect(result.step("b")?.result == ["status": true, "seen": ["status": false, "error": "timed out after 5 s"]])
    }

    @Test("the workflow timeout fails the run, cancels the running step and skips the rest")
    func workflowTimeout() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let task = try harness.start(flow(step("a", "echo"), step("b", "block"), step("c", "echo"), extra: #""timeout": 10"#))
        // The run's timer and the blocked step's sleep.
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: .seconds(10))
        let result = try await task.value
        #expect(result.status == .failed)
        #expect(result.error == "the workflow timed out after 10 s")
        #expect(result.steps.map(\.status) == [.success, .cancelled, .skipped])
        #expect(result.step("b")?.error == "cancelled: the workflow timed out after 10 s")
        #expect(result.step("c")?.error == "not run: the workflow timed out after 10 s")
        #expect(result.durationMs == 10_000)
        #expect(harness.observations.cancelled == ["b"])
    }

    @Test(
        "durations from seconds keep fractions and are clamped instead of overflowing",
        arguments: [
            (1.5, Duration.milliseconds(1500)),
            (0.000_000_001, .nanoseconds(1)),
            (0, .zero),
            (-1, .zero),
            (1e12, .nanoseconds(Int64.max)),
            (.infinity, .nanoseconds(Int64.max)),
            (.nan, .zero),
        ] as [(Double, Duration)])
    func durations(seconds: Double, expected: Duration) {
        #expect(Duration.seconds(fraction: seconds) == expected)
    }

    @Test("a timeout too large for a duration waits as long as a duration can")
    func hugeTimeout() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let result = try await harness.run(flow(step("a", "echo", #""timeout": 1e12"#), extra: #""timeout": 1e15"#))
        #expect(result.status == .success)
        #expect(harness.clock.sleeps == [.nanoseconds(Int64.max), .nanoseconds(Int64.max)])
    }

    @Test("a run that ends before the workflow timeout stops its timer")
    func workflowTimeoutNotReached() async throws {
        let harness = ExecutorHarness(autoAdvance: false)
        let result = try await harness.run(flow(step("a", "echo"), extra: #""timeout": 10"#))
        #expect(result.status == .success)
        #expect(harness.clock.sleeperCount == 0)
    }
}
