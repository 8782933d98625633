import Foundation
import Synchronization
import Testing
import WorkFlowEngine
import WorkFlowModules

/// Calls that wait until `expected` calls have arrived, proving they run at the same time.
actor Gate {
    private let expected: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private(set) var maxInFlight = 0
    private var inFlight = 0

    init(expected: Int) {
        self.expected = expected
    }

    func pass() async {
        arrived += 1
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        if arrived >= expected {
            for w in waiting { w.resume() }
            waiting.removeAll()
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
        inFlight -= 1
    }

    func enter() {
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
    }

    func leave() { inFlight -= 1 }
}

/// Counts calls across copies of a module.
final class CallCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// `test.Probe`: `echo` returns its params, `rows` returns `data`, `boom` throws, `gate` waits at a Gate.
struct ProbeModule: Module {
    let gate: Gate?
    let calls = CallCounter()

    init(gate: Gate? = nil) {
        self.gate = gate
    }

    let descriptor = ModuleDescriptor(
        name: "test.Probe", doc: "Test probe.",
        methods: ["echo", "rows", "boom", "gate", "soft"].map { MethodDescriptor($0, doc: $0, parameters: [], result: "") })

    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom!" }
    }

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        calls.increment()
        switch method {
        case "echo":
            var out: JSONObject = ["status": true]
            for (k, v) in params { out[k] = v }
            return .success(.object(out))
        case "rows":
            await gate?.enter()
            await Task.yield()
            await gate?.leave()
            if params["fail"] == true, case .array(let rows)? = params["data"], rows.contains(3) { throw Boom() }
            return .success(["status": true, "data": params["data"] ?? []])
        case "boom":
            throw Boom()
        case "soft":
            return .failure(["status": false], error: "soft failure")
        default:
            await gate?.pass()
            return .success(["status": true])
        }
    }
}

func context(with probe: ProbeModule) -> StepContext {
    .standalone(stepName: "fan", registry: ModuleRegistry([MultiProcessModule(), probe]))
}

@Suite("common.MultiProcess")
struct MultiProcessTests {
    let module = MultiProcessModule()

    @Test("parallel_steps returns each step's result by name")
    func parallelSteps() async throws {
        let out = try await module.call(
            "parallel_steps",
            params: [
                "steps": [
                    ["name": "a", "mod": "test.Probe", "method": "echo", "params": ["x": 1]],
                    ["name": "b", "mod": "test.Probe", "method": "soft"],
                ]
            ], context: context(with: ProbeModule()))
        #expect(out == .success(["status": true, "results": ["a": ["status": true, "x": 1], "b": ["status": false]], "errors": []]))
    }

    @Test("a step that throws is reported under its name and fails the call")
    func stepThrows() async throws {
        let out = try await module.call(
            "parallel_steps",
            params: [
                "steps": [
                    ["name": "ok", "mod": "test.Probe", "method": "echo"],
                    ["name": "bad", "mod": "test.Probe", "method": "boom"],
                    ["name": "ghost", "mod": "test.Nope", "method": "x"],
                ]
            ], context: context(with: ProbeModule()))
        #expect(out.result["status"] == false)
        #expect(out.result["results"]?["bad"] == ["status": false, "error": "boom!"])
        #expect(out.result["results"]?["ghost"]?["error"]?.stringValue?.hasPrefix("unknown module 'test.Nope'") == true)
        #expect(out.result["errors"] == ["bad", "ghost"])
        #expect(out.error?.hasPrefix("2 of 3 steps failed: bad: boom!; ghost: unknown module") == true)
    }

    @Test("steps really run at the same time, up to processes")
    func concurrency() async throws {
        let gate = Gate(expected: 3)
        let steps: [JSONValue] = (0..<3).map { ["name": .string("g\($0)"), "mod": "test.Probe", "method": "gate"] }
        let out = try await module.call("parallel_steps", params: ["steps": .array(steps), "processes": 3], context: context(with: ProbeModule(gate: gate)))
        #expect(out.result["status"] == true)
        #expect(await gate.maxInFlight == 3)
    }

    @Test("processes bounds how many run at once")
    func bound() async throws {
        let gate = Gate(expected: 0)
        let steps: [JSONValue] = (0..<6).map { ["name": .string("r\($0)"), "mod": "test.Probe", "method": "rows"] }
        _ = try await module.call("parallel_steps", params: ["steps": .array(steps), "processes": 2], context: context(with: ProbeModule(gate: gate)))
        #expect(await gate.maxInFlight <= 2)
    }

    @Test("an empty steps list is a failure with the seed's shape")
    func emptySteps() async throws {
        let out = try await module.call("parallel_steps", params: ["steps": []], context: context(with: ProbeModule()))
        #expect(out == .failure(["status": false, "results": [:], "errors": []], error: "steps is empty"))
    }

    @Test("a malformed step entry names its path")
    func malformedStep() async throws {
        await #expect(throws: ParameterError(path: "steps[1].mod", message: "is required")) {
            try await module.call(
                "parallel_steps", params: ["steps": [["name": "a", "mod": "test.Probe", "method": "echo"], ["name": "b", "method": "echo"]]],
                context: context(with: ProbeModule()))
        }
        await #expect(throws: ParameterError(path: "steps[1].name", message: "duplicate step name 'a'")) {
            try await module.call(
                "parallel_steps",
                params: ["steps": [["name": "a", "mod": "test.Probe", "method": "echo"], ["name": "a", "mod": "test.Probe", "method": "echo"]]],
                context: context(with: ProbeModule()))
        }
    }

    @Test("parallel_data splits like the seed (10 rows, 4 processes: 5 chunks of 2) and merges in order")
    func parallelData() async throws {
        let probe = ProbeModule()
        let rows: [JSONValue] = (1...10).map { .int($0) }
        let out = try await module.call(
            "parallel_data",
            params: ["data": .array(rows), "data_key": "data", "mod": "test.Probe", "method": "rows", "processes": 4],
            context: context(with: probe))
        #expect(out == .success(["status": true, "data": .array(rows), "errors": []]))
        #expect(probe.calls.value == 5)
    }

    @Test("a failing chunk is named chunk_<i> and its rows are left out")
    func chunkFails() async throws {
        let rows: [JSONValue] = (1...4).map { .int($0) }
        let out = try await module.call(
            "parallel_data",
            params: ["data": .array(rows), "data_key": "data", "mod": "test.Probe", "method": "rows", "processes": 2, "params": ["fail": true]],
            context: context(with: ProbeModule()))
        #expect(out == .failure(["status": false, "data": [1, 2], "errors": ["chunk_1: boom!"]], error: "chunk_1: boom!"))
    }

    @Test("parallel_data with no rows fails with the seed's shape")
    func emptyData() async throws {
        let out = try await module.call(
            "parallel_data", params: ["data": [], "data_key": "data", "mod": "test.Probe", "method": "rows"], context: context(with: ProbeModule()))
        #expect(out == .failure(["status": false, "data": [], "errors": []], error: "data is empty"))
    }

    @Test("required parameters are checked", arguments: ["data", "data_key", "mod", "method"])
    func required(missing: String) async throws {
        var params: JSONObject = ["data": [1], "data_key": "data", "mod": "test.Probe", "method": "rows"]
        params.removeValue(forKey: missing)
        await #expect(throws: ParameterError(path: missing, message: "is required")) {
            try await module.call("parallel_data", params: params, context: context(with: ProbeModule()))
        }
    }

    @Test("processes below 1 is rejected")
    func badProcesses() async throws {
        await #expect(throws: ParameterError(path: "processes", message: "must be 1 or more, got 0")) {
            try await module.call(
                "parallel_data", params: ["data": [1], "data_key": "data", "mod": "test.Probe", "method": "rows", "processes": 0],
                context: context(with: ProbeModule()))
        }
    }

    @Test("an unknown method is an error that lists the methods")
    func unknownMethod() async {
        await #expect(throws: UnknownMethodError.self) {
            try await module.call("nope", params: [:], context: context(with: ProbeModule()))
        }
    }
}
