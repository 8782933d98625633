import Foundation
import Synchronization
import Testing
import WorkFlowEngine

/// What the probe module saw, shared by every copy of it and read by the tests.
final class ProbeObservations: Sendable {
    private struct State {
        var calls: [String] = []
        var cancelled: [String] = []
        var flakyCalls: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// The step names of every call, in the order they began.
    var calls: [String] { state.withLock { $0.calls } }
    /// The step names of the calls that saw their task cancelled.
    var cancelled: [String] { state.withLock { $0.cancelled } }

    func called(_ step: String) {
        state.withLock { $0.calls.append(step) }
    }

    func sawCancellation(_ step: String) {
        state.withLock { $0.cancelled.append(step) }
    }

    /// Counts a call of `flaky` for `key` and returns its number (1-based).
    func nextFlakyCall(_ key: String) -> Int {
        state.withLock { state in
            state.flakyCalls[key, default: 0] += 1
            return state.flakyCalls[key]!
        }
    }
}

/// Holds calls to prove they run at the same time, and counts how many are in flight.
///
/// With `opensAt: n` every call waits until `n` calls have arrived, then they all go on (and
/// later calls pass at once): a run that is not truly parallel never gets there. Without it,
/// calls wait until the test releases them one by one.
actor Gate {
    private let opensAt: Int?
    private var arrived = 0
    private var held: [CheckedContinuation<Void, Never>] = []
    private var open = false
    private(set) var inFlight = 0
    private(set) var maxInFlight = 0

    init(opensAt: Int? = nil) {
        self.opensAt = opensAt
    }

    var arrivals: Int { arrived }

    func pass() async {
        arrived += 1
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        if let opensAt, arrived >= opensAt {
            open = true
            for waiting in held { waiting.resume() }
            held.removeAll()
        }
        if !open {
            await withCheckedContinuation { held.append($0) }
        }
        inFlight -= 1
    }

    /// Lets the oldest held call go on.
    func releaseOne() {
        guard !held.isEmpty else { return }
        held.removeFirst().resume()
    }

    /// Waits until `count` calls are held.
    func waitUntilHeld(_ count: Int) async {
        while held.count < count {
            await Task.yield()
        }
    }
}

/// A run resource that counts how often it was closed.
final class CountingResource: RunResource {
    private let closes = Mutex(0)

    var closeCount: Int { closes.withLock { $0 } }

    func close() async {
        closes.withLock { $0 += 1 }
    }
}

/// An error with a fixed text, thrown by `throw`.
struct ProbeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// `test.Probe`, a module whose methods exercise every way a step can behave:
///
/// - `echo`: `{"status": true, ...params}`.
/// - `kt`: `{"status": 0, "msg": msg}` like the seed's `common.Kt` (a success).
/// - `fail`: `{"status": false, "error": message}` with the message as the step error.
/// - `throw`: throws `message`.
/// - `block`: sleeps on the run's clock until cancelled, and notes the cancellation.
/// - `killable`: like `block`, but answers cancellation with a status false result, as a killed
///   process does.
/// - `flaky`: fails the first `failures` calls for its `key` (default: the step name), then echoes.
/// - `concurrency`: passes the ``Gate``.
/// - `log`: logs each of `lines` at info, then echoes.
/// - `open`: stores the ``CountingResource`` in the run session.
/// - `typed`: a method with typed and required parameters, for validation.
struct ProbeModule: Module {
    let observations: ProbeObservations
    let gate: Gate?
    let resource: CountingResource?

    init(observations: ProbeObservations = ProbeObservations(), gate: Gate? = nil, resource: CountingResource? = nil) {
        self.observations = observations
        self.gate = gate
        self.resource = resource
    }

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "test.Probe", doc: "A module for engine tests.",
            methods: [
                MethodDescriptor("echo", doc: "Returns its parameters.", parameters: [], result: #"{"status": true, ...params}"#),
                MethodDescriptor(
                    "kt", doc: "Returns status 0, as the seed's Kt.", parameters: [ParameterDescriptor("msg", .any, doc: "Echoed.")],
                    result: #"{"status": 0, "msg": msg}"#),
                MethodDescriptor(
                    "fail", doc: "Returns status false.", parameters: [ParameterDescriptor("message", .string, doc: "The error.")],
                    result: #"{"status": false, "error": message}"#),
                MethodDescriptor(
                    "throw", doc: "Throws.", parameters: [ParameterDescriptor("message", .string, doc: "The error.")], result: ""),
                MethodDescriptor("block", doc: "Waits until cancelled.", parameters: [], result: ""),
                MethodDescriptor("killable", doc: "Waits until cancelled, then fails.", parameters: [], result: #"{"status": false}"#),
                MethodDescriptor(
                    "flaky", doc: "Fails the first calls.",
                    parameters: [
                        ParameterDescriptor("failures", .integer, required: true, doc: "Calls that fail."),
                        ParameterDescriptor("key", .string, doc: "What counts calls."),
                    ], result: #"{"status": true, "call": N}"#),
                MethodDescriptor("concurrency", doc: "Passes the gate.", parameters: [], result: #"{"status": true}"#),
                MethodDescriptor(
                    "log", doc: "Logs lines.", parameters: [ParameterDescriptor("lines", .array, doc: "What to log.")],
                    result: #"{"status": true, ...params}"#),
                MethodDescriptor("open", doc: "Opens a run resource.", parameters: [], result: #"{"status": true}"#),
                MethodDescriptor(
                    "typed", doc: "Typed parameters.",
                    parameters: [
                        ParameterDescriptor("msg", .string, required: true, doc: "the message to send"),
                        ParameterDescriptor("count", .integer, doc: "How many."),
                        ParameterDescriptor("ratio", .number, doc: "A fraction."),
                        ParameterDescriptor("flag", .boolean, doc: "A switch."),
                        ParameterDescriptor("cmd", [.string, .array], doc: "A command."),
                        ParameterDescriptor("options", .object, doc: "Options."),
                    ], result: #"{"status": true}"#),
            ])
    }

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        observations.called(context.stepName)
        switch method {
        case "echo", "typed":
            return .success(Self.echo(params))
        case "kt":
            return .success(["status": 0, "msg": params["msg"] ?? .null])
        case "fail":
            let message = params["message"]?.stringValue ?? "the probe failed"
            return .failure(["status": false, "error": .string(message)], error: message)
        case "throw":
            throw ProbeError(message: params["message"]?.stringValue ?? "the probe threw")
        case "block":
            do {
                try await context.clock.sleep(for: .seconds(100_000))
            } catch {
                observations.sawCancellation(context.stepName)
                throw error
            }
            return .success(["status": true])
        case "killable":
            do {
                try await context.clock.sleep(for: .seconds(100_000))
            } catch {
                observations.sawCancellation(context.stepName)
                return .failure(["status": false, "exit_code": -1], error: "killed by SIGTERM")
            }
            return .success(["status": true])
        case "flaky":
            let key = params["key"]?.stringValue ?? context.stepName
            let call = observations.nextFlakyCall(key)
            if call <= params["failures"]?.intValue ?? 0 {
                return .failure(["status": false], error: "flaky failure \(call)")
            }
            return .success(["status": true, "call": .int(call)])
        case "concurrency":
            await gate?.pass()
            return .success(["status": true])
        case "log":
            for line in params["lines"]?.arrayValue ?? [] {
                context.logger.info(line.stringValue ?? line.description)
            }
            return .success(Self.echo(params))
        case "open":
            if let resource { context.session.setResource(resource, for: "probe.\(context.stepName)") }
            return .success(["status": true])
        default:
            throw UnknownMethodError(module: "test.Probe", method: method, available: descriptor.methods.map(\.name))
        }
    }

    static func echo(_ params: JSONObject) -> JSONValue {
        var out: JSONObject = ["status": true]
        for (key, value) in params { out[key] = value }
        return .object(out)
    }
}

/// A second module, so that messages listing modules have more than one name.
struct OtherModule: Module {
    var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: "test.Other", doc: "Another module.",
            methods: [MethodDescriptor("noop", doc: "Does nothing.", parameters: [], result: #"{"status": true}"#)])
    }

    func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        .success(["status": true])
    }
}

/// Parses a workflow that the test expects to be free of problems.
func validWorkflow(
    _ json: String, registry: ModuleRegistry = ModuleRegistry([ProbeModule(), OtherModule()]),
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Workflow {
    let workflow = try Workflow(json: json)
    let issues = workflow.validate(registry: registry)
    #expect(issues == [], "the test workflow should be valid", sourceLocation: sourceLocation)
    return workflow
}

/// An executor over the probe module with a manual clock and an in-memory recorder.
struct ExecutorHarness {
    let observations = ProbeObservations()
    let resource = CountingResource()
    let recorder = InMemoryRecorder()
    let clock: ManualClock
    let gate: Gate?
    let executor: Executor

    /// - Parameters:
    ///   - autoAdvance: whether sleeps return at once (retry delays) or wait for `clock.advance` (timeouts).
    init(autoAdvance: Bool = true, gate: Gate? = nil, systemVariables: InMemorySystemVariables = InMemorySystemVariables()) {
        clock = ManualClock(autoAdvance: autoAdvance)
        self.gate = gate
        let probe = ProbeModule(observations: observations, gate: gate, resource: resource)
        executor = Executor(registry: ModuleRegistry([probe, OtherModule()]), clock: clock, systemVariables: systemVariables)
    }

    /// Validates and runs a workflow to its end.
    func run(
        _ json: String, options: RunOptions = RunOptions(), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> RunResult {
        let workflow = try validWorkflow(json, registry: executor.registry, sourceLocation: sourceLocation)
        return try await executor.run(workflow, options: options, recorder: recorder)
    }

    /// Validates a workflow and starts running it on a task the test can cancel.
    func start(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Task<RunResult, any Error> {
        let workflow = try validWorkflow(json, registry: executor.registry, sourceLocation: sourceLocation)
        let executor = self.executor
        let recorder = self.recorder
        return Task { try await executor.run(workflow, recorder: recorder) }
    }

    /// The recorded events, one line each: `runStarted`, `stepStarted a`, `stepFinished a success`, `runFinished failed`.
    func eventLines() async -> [String] {
        await recorder.events.map { event in
            switch event {
            case .runStarted: "runStarted"
            case .stepStarted(let record): "stepStarted \(record.name)"
            case .stepFinished(let record): "stepFinished \(record.name) \(record.status.rawValue)"
            case .runFinished(let result): "runFinished \(result.status.rawValue)"
            }
        }
    }
}

extension RunResult {
    /// The record of the step named `name`.
    func step(_ name: String) -> StepRecord? {
        steps.first { $0.name == name }
    }
}

/// A JSON object of workflow steps, written compactly: `step("a", "echo", #""params": {...}"#)`.
func step(_ name: String, _ method: String, _ extra: String = "") -> String {
    #"{"name": "\#(name)", "mod": "test.Probe", "method": "\#(method)"\#(extra.isEmpty ? "" : ", " + extra)}"#
}

/// A workflow document with `steps` and optional workflow-level members.
func flow(_ steps: String..., extra: String = "") -> String {
    #"{\#(extra.isEmpty ? "" : extra + ", ")"procedures": [\#(steps.joined(separator: ", "))]}"#
}
