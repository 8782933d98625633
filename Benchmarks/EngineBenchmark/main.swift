import Foundation
import WorkFlowEngine
import WorkFlowModules

// Measures the engine's own cost per step: an N-step workflow of `common.Kt` steps runs in
// memory, and the time of calling the module directly is subtracted. Build in release mode:
//
//     swift run -c release workflow-bench [--steps N] [--runs R] [--python-steps P] [--python PATH] [--check]
//
// `--check` exits 1 when a target is missed: under 20 µs of engine overhead per step, and the
// 1,000-step run under 50 MB of peak memory. Then, unless `--python-steps 0`, a run of P steps of
// a custom Python module measures starting the run's python3 child and the round trip per step.

struct Options {
    var steps = 1_000
    var runs = 9
    var check = false
    var pythonSteps = 200
    var python = "python3"

    init(arguments: [String]) {
        var i = 1
        while i < arguments.count {
            switch arguments[i] {
            case "--steps" where i + 1 < arguments.count:
                steps = max(1, Int(arguments[i + 1]) ?? steps)
                i += 1
            case "--runs" where i + 1 < arguments.count:
                runs = max(1, Int(arguments[i + 1]) ?? runs)
                i += 1
            case "--python-steps" where i + 1 < arguments.count:
                pythonSteps = max(0, Int(arguments[i + 1]) ?? pythonSteps)
                i += 1
            case "--python" where i + 1 < arguments.count:
                python = arguments[i + 1]
                i += 1
            case "--check":
                check = true
            default:
                FileHandle.standardError.write(Data("usage: workflow-bench [--steps N] [--runs R] [--python-steps P] [--python PATH] [--check]\n".utf8))
                exit(2)
            }
            i += 1
        }
    }
}

/// Peak resident memory of this process in bytes (VmHWM), or nil where /proc is missing.
func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first
        return kb.map { $0 * 1024 }
    }
    return nil
}

/// A seed-style workflow: every step a `common.Kt` call, run in list order; every other step
/// reads the first step's result and interpolates a variable, so resolution is measured too.
func makeWorkflow(steps: Int) -> Workflow {
    var procedures: [JSONValue] = []
    for i in 0..<steps {
        let msg: JSONValue = i % 2 == 0 ? .string("hello ${var.env} \(i)") : "@s0.msg"
        procedures.append(["name": .string("s\(i)"), "mod": "common.Kt", "method": "prt1", "params": ["msg": msg]])
    }
    return Workflow(document: ["procedures": .array(procedures), "variables": ["env": "bench"]])
}

func measure(_ body: () async throws -> Void) async rethrows -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    try await body()
    return clock.now - start
}

func microseconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) * 1e6 + Double(atto) / 1e12
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// The whole benchmark, off the main actor: top-level code runs on the main actor, and every
/// call from there to the engine would hop threads twice, which measures the hop, not the engine.
nonisolated func runBenchmark() async throws {
    let options = Options(arguments: CommandLine.arguments)
    let registry = BuiltinModules.registry()
    let workflow = makeWorkflow(steps: options.steps)
    let issues = workflow.validate(registry: registry)
    guard issues.isEmpty else {
        print("the benchmark workflow is invalid: \(issues.map(\.description).joined(separator: "; "))")
        exit(1)
    }
    let executor = Executor(registry: registry)

    // The module alone: the same calls without the engine, to separate the module's cost.
    guard let kt = registry.module(named: "common.Kt") else {
        print("common.Kt is not registered")
        exit(1)
    }
    let context = StepContext.standalone(registry: registry)
    var moduleTimes: [Double] = []
    for _ in 0..<options.runs {
        let elapsed = try await measure {
            for i in 0..<options.steps {
                _ = try await kt.call("prt1", params: ["msg": .string("hello bench \(i)")], context: context)
            }
        }
        moduleTimes.append(microseconds(elapsed) / Double(options.steps))
    }

    // Warm up once, then measure whole runs.
    _ = try await executor.run(workflow)
    var runTimes: [Double] = []
    for _ in 0..<options.runs {
        var status = RunStatus.running
        let elapsed = try await measure {
            status = try await executor.run(workflow).status
        }
        guard status == .success else {
            print("a benchmark run ended \(status.rawValue)")
            exit(1)
        }
        runTimes.append(microseconds(elapsed))
    }

    let perStep = runTimes.map { $0 / Double(options.steps) }
    let modulePerCall = median(moduleTimes)
    let overhead = median(perStep) - modulePerCall
    let peak = peakResidentBytes()

    print("engine benchmark: \(options.steps) steps of common.Kt.prt1 in list order, \(options.runs) runs")
    print(String(format: "  whole run:          median %.2f ms, min %.2f ms", median(runTimes) / 1000, runTimes.min()! / 1000))
    print(String(format: "  per step:           median %.2f µs, min %.2f µs", median(perStep), perStep.min()!))
    print(String(format: "  module alone:       %.2f µs per call", modulePerCall))
    print(String(format: "  engine overhead:    %.2f µs per step (target < 20 µs)", overhead))
    if let peak {
        print(String(format: "  peak memory (RSS):  %.1f MB (target < 50 MB for 1,000 steps)", Double(peak) / 1_048_576))
    }

    if options.pythonSteps > 0 {
        try await benchmarkPythonSteps(options)
    }

    if options.check {
        var missed: [String] = []
        if overhead >= 20 { missed.append("overhead per step") }
        if options.steps <= 1_000, let peak, peak >= 50 * 1_048_576 { missed.append("peak memory") }
        if !missed.isEmpty {
            print("MISSED: " + missed.joined(separator: ", "))
            exit(1)
        }
        print("targets met")
    }
}

/// Custom Python module steps: a run of `pythonSteps` calls of a seed-style echo method, each
/// reading the previous step's result. The first step includes starting python3 and importing
/// the module; the rest are one JSON-lines round trip each (plus the engine).
nonisolated func benchmarkPythonSteps(_ options: Options) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let tree = folder.appendingPathComponent("tree/bench")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    let source = """
        class Echo(object):
            def __init__(self, logger):
                self.logger = logger

            def echo(self, context, cfgs):
                return {"status": True, "data": cfgs.get("value")}
        """
    try Data(source.utf8).write(to: tree.appendingPathComponent("Echo.py"))
    let python: PythonRuntime
    let launch: ScriptLaunch
    do {
        python = try PythonRuntime.installed(in: folder, interpreter: options.python)
        launch = try python.launch(mode: ["serve", folder.appendingPathComponent("tree").path], workingDirectory: folder.path)
    } catch {
        print("python module steps: skipped (\(error))")
        return
    }
    let echo = MethodDescriptor("echo", doc: "", parameters: [ParameterDescriptor("value", .any, doc: "")], result: "")
    var registry = BuiltinModules.registry()
    registry.register(ScriptModule(descriptor: ModuleDescriptor(name: "bench.Echo", doc: "", methods: [echo]), launch: launch))
    var procedures: [JSONValue] = []
    for i in 0..<options.pythonSteps {
        let value: JSONValue = i == 0 ? "start" : .string("@p\(i - 1).data")
        procedures.append(["name": .string("p\(i)"), "mod": "bench.Echo", "method": "echo", "params": ["value": value]])
    }
    let workflow = Workflow(document: ["procedures": .array(procedures)])
    let executor = Executor(registry: registry)
    var firstSteps: [Double] = []
    var laterSteps: [Double] = []
    var wholeRuns: [Double] = []
    for _ in 0..<max(3, options.runs / 2) {
        var result: RunResult?
        let elapsed = try await measure { result = try await executor.run(workflow) }
        guard let result, result.status == .success else {
            print("a python benchmark run ended \(result?.status.rawValue ?? "?"): \(result?.error ?? "")")
            exit(1)
        }
        let durations = result.steps.sorted { $0.order < $1.order }.compactMap { step -> Double? in
            guard let start = step.startedAt, let end = step.endedAt else { return nil }
            return end.timeIntervalSince(start) * 1e6
        }
        let first = durations.first ?? 0
        firstSteps.append(first)
        laterSteps.append((microseconds(elapsed) - first) / Double(max(1, options.pythonSteps - 1)))
        wholeRuns.append(microseconds(elapsed))
    }
    print("python module steps: \(options.pythonSteps) steps of a custom Python module on \(launch.executable), each reading the last one's result")
    print(String(format: "  first step:         median %.1f ms (starting python3 and importing the module)", median(firstSteps) / 1000))
    print(String(format: "  each later step:    median %.0f µs, min %.0f µs (engine, one JSON-lines round trip, the call)", median(laterSteps), laterSteps.min() ?? 0))
    print(String(format: "  whole run:          median %.1f ms", median(wholeRuns) / 1000))
}

try await runBenchmark()
