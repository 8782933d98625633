import Foundation
import Logging
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

// Measures what durable recording costs: a 1,000-step workflow of `common.Kt` steps runs with
// every event written to the store as it happens, on SQLite and (when a URL is given) on
// PostgreSQL, and the same workflow's in-memory time is subtracted. Then 100 runs of a 5-step
// workflow run at once, and the runs per second are reported.
//
//     swift run -c release workflow-store-bench [--postgres URL] [--steps N] [--check]
//
// `--check` exits 1 when a target is missed: SQLite under 300 µs and PostgreSQL under 1 ms of
// recording overhead per step.

struct Options {
    var steps = 1_000
    var concurrentRuns = 100
    var postgresURL: String?
    var check = false

    init(arguments: [String]) {
        var i = 1
        while i < arguments.count {
            switch arguments[i] {
            case "--steps" where i + 1 < arguments.count:
                steps = max(1, Int(arguments[i + 1]) ?? steps)
                i += 1
            case "--runs" where i + 1 < arguments.count:
                concurrentRuns = max(1, Int(arguments[i + 1]) ?? concurrentRuns)
                i += 1
            case "--postgres" where i + 1 < arguments.count:
                postgresURL = arguments[i + 1]
                i += 1
            case "--check":
                check = true
            default:
                FileHandle.standardError.write(Data("usage: workflow-store-bench [--postgres URL] [--steps N] [--runs R] [--check]\n".utf8))
                exit(2)
            }
            i += 1
        }
    }
}

func chain(steps: Int) -> Workflow {
    let procedures: [JSONValue] = (0..<steps).map { i in
        ["name": .string("s\(i)"), "mod": "common.Kt", "method": "prt1", "params": ["msg": .string("step \(i)")]]
    }
    return Workflow(document: ["procedures": .array(procedures)])
}

func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) / 1e18
}

/// One backend's figures.
struct Figures {
    var name: String
    var perStepMicroseconds: Double
    var overheadMicroseconds: Double
    var runsPerSecond: Double
}

nonisolated func measure(backend name: String, url: String, options: Options, inMemoryPerStep: Double) async throws -> Figures {
    let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let store = try await Store.open(url: url, logger: logger)
    let registry = BuiltinModules.registry()
    let executor = Executor(registry: registry, logger: logger)
    let clock = ContinuousClock()

    // A long sequential run, every event written as it happens.
    let workflow = chain(steps: options.steps)
    let run = try await store.createRun(
        flowName: "bench", flowVersion: nil, document: workflow.document, trigger: .cli, triggeredBy: "bench", inputs: [:], status: .running, node: "bench")
    let start = clock.now
    let result = try await executor.run(workflow, options: RunOptions(runID: run.id), recorder: StoreRunRecorder(store: store, runID: run.id, logger: logger))
    let elapsed = seconds(clock.now - start)
    guard result.status == .success else { throw BenchmarkError(message: "the \(name) run ended \(result.status.rawValue)") }
    let perStep = elapsed / Double(options.steps) * 1e6

    // Many short runs at once.
    let small = chain(steps: 5)
    let manyStart = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<options.concurrentRuns {
            group.addTask {
                let run = try await store.createRun(
                    flowName: "bench-small", flowVersion: nil, document: small.document, trigger: .cli, triggeredBy: "bench", inputs: [:], status: .running, node: "bench")
                let result = try await executor.run(
                    small, options: RunOptions(runID: run.id), recorder: StoreRunRecorder(store: store, runID: run.id, logger: logger))
                guard result.status == .success else { throw BenchmarkError(message: "a small run ended \(result.status.rawValue)") }
            }
        }
        try await group.waitForAll()
    }
    let manyElapsed = seconds(clock.now - manyStart)
    await store.close()
    return Figures(
        name: name, perStepMicroseconds: perStep, overheadMicroseconds: perStep - inMemoryPerStep,
        runsPerSecond: Double(options.concurrentRuns) / manyElapsed)
}

struct BenchmarkError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

nonisolated func runBenchmark() async throws {
    let options = Options(arguments: CommandLine.arguments)
    let executor = Executor(registry: BuiltinModules.registry())
    let workflow = chain(steps: options.steps)
    _ = try await executor.run(workflow)
    let clock = ContinuousClock()
    let start = clock.now
    _ = try await executor.run(workflow)
    let inMemory = seconds(clock.now - start) / Double(options.steps) * 1e6

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wf-store-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    var figures = [try await measure(backend: "SQLite", url: "sqlite://" + folder.appendingPathComponent("bench.db").path, options: options, inMemoryPerStep: inMemory)]
    if let url = options.postgresURL {
        figures.append(try await measure(backend: "PostgreSQL", url: url, options: options, inMemoryPerStep: inMemory))
    }

    print("store benchmark: \(options.steps) steps of common.Kt.prt1, every event recorded as it happens")
    print("  " + "in memory:".padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%8.1f µs per step", inMemory))
    for f in figures {
        let label = (f.name + ":").padding(toLength: 12, withPad: " ", startingAt: 0)
        print("  " + label + String(format: "%8.1f µs per step, recording overhead %8.1f µs per step; %d concurrent 5-step runs: %.0f runs/s",
            f.perStepMicroseconds, f.overheadMicroseconds, options.concurrentRuns, f.runsPerSecond))
    }
    if options.check {
        var missed: [String] = []
        for f in figures {
            let target = f.name == "SQLite" ? 300.0 : 1000.0
            if f.overheadMicroseconds >= target { missed.append("\(f.name) overhead \(Int(f.overheadMicroseconds)) µs ≥ \(Int(target)) µs") }
        }
        if !missed.isEmpty {
            print("MISSED: " + missed.joined(separator: "; "))
            exit(1)
        }
        print("targets met")
    }
}

try await runBenchmark()
