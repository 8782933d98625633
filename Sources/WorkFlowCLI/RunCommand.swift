import ArgumentParser
import Foundation
import Logging
import WorkFlowEngine
import WorkFlowStore
import WorkFlowModules

/// `workflow run NAME` and `workflow run --file FLOW.json`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a stored workflow, or a workflow file, showing each step as it runs.",
        discussion: """
            The run is recorded in the database either way (see `workflow runs`). Exit status: 0 \
            when the run succeeds, 1 when it fails, 2 when the workflow, an input or the command \
            line is invalid, 130 when interrupted (Ctrl-C cancels the run and its running steps).

            Examples:
              workflow run nightly-backup --var env=prod
              workflow run --file flow.json --input inputs.json --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The stored workflow to run.")
    var name: String?

    @Option(name: [.short, .long], help: "Run this workflow JSON file instead of a stored workflow.")
    var file: String?

    @Option(name: .customLong("var"), help: ArgumentHelp("Set a variable or input for this run (repeatable).", valueName: "KEY=VALUE"))
    var variables: [String] = []

    @Option(name: .customLong("input"), help: ArgumentHelp("Read inputs from a JSON object file; --var values win.", valueName: "FILE"))
    var inputFile: String?

    func validate() throws {
        if (name == nil) == (file == nil) {
            throw ValidationError("give either the name of a stored workflow or --file FILE")
        }
        for assignment in variables {
            guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
                throw ValidationError("--var \(assignment): expected KEY=VALUE")
            }
        }
    }

    func run() async throws {
        var inputs = JSONObject()
        if let inputFile {
            do {
                let text = try String(contentsOfFile: inputFile, encoding: .utf8)
                guard case .object(let object) = try JSONParser(allowsJSON5: true).parse(text) else {
                    throw ValidationError("--input \(inputFile): expected a JSON object of input values")
                }
                inputs = object
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("--input \(inputFile): \(error)")
            }
        }
        for assignment in variables {
            let eq = assignment.firstIndex(of: "=")!
            inputs[String(assignment[..<eq])] = .string(String(assignment[assignment.index(after: eq)...]))
        }
        let source: WorkflowRunner.Source = file.map { .file($0) } ?? .stored(name ?? "")
        let json = global.json
        let code = try await CommandContext.with(global) { context in
            let runner = WorkflowRunner(
                console: context.console, registry: context.registry, store: context.store, logger: context.logger("workflow.engine"))
            return await runner.run(source, inputs: inputs, json: json)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// The work behind `workflow run`, separate from argument parsing so tests drive it directly.
public struct WorkflowRunner: Sendable {
    /// What to run.
    public enum Source: Sendable, Equatable {
        case file(String)
        case stored(String)
    }

    public var console: any Console
    public var registry: ModuleRegistry
    public var clock: any EngineClock
    /// Where runs are recorded; `nil` runs without a record.
    public var store: SQLStore?
    /// The engine's logger (step log lines are forwarded to it).
    public var logger: Logger

    public init(
        console: any Console, registry: ModuleRegistry, clock: any EngineClock = SystemClock(), store: SQLStore? = nil,
        logger: Logger = Logger(label: "workflow.engine", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.console = console
        self.registry = registry
        self.clock = clock
        self.store = store
        self.logger = logger
    }

    /// Validates and runs the file; returns the exit status.
    public func run(file: String, inputs: JSONObject, json: Bool) async -> Int32 {
        await run(.file(file), inputs: inputs, json: json)
    }

    /// Validates and runs a workflow file or a stored workflow; returns the exit status.
    public func run(_ source: Source, inputs: JSONObject, json: Bool) async -> Int32 {
        let workflow: Workflow
        let file: String
        var flowVersion: Int?
        switch source {
        case .file(let path):
            file = path
            do {
                workflow = try WorkflowFile.load(path)
            } catch {
                return invalid(error.issues.isEmpty ? [ValidationIssue(path: "file", message: error.description)] : error.issues, file: path, json: json)
            }
        case .stored(let name):
            file = name
            guard let store else { return invalid([ValidationIssue(path: "name", message: "no database to read workflows from")], file: name, json: json) }
            let stored: StoredFlow?
            do {
                stored = try await store.flow(named: name)
            } catch {
                return invalid([ValidationIssue(path: "name", message: "cannot read workflow '\(name)': \(error)")], file: name, json: json)
            }
            guard let stored else {
                return invalid([ValidationIssue(path: "name", message: "no workflow named '\(name)'")], file: name, json: json)
            }
            // The seed ran disabled workflows anyway (its weakness 14); here disabled means disabled.
            guard stored.enabled else {
                return invalid(
                    [ValidationIssue(path: "name", message: "workflow '\(name)' is disabled; enable it with: workflow flow enable \(name)")],
                    file: name, json: json)
            }
            workflow = Workflow(document: .object(stored.document))
            flowVersion = stored.currentVersion
        }
        let issues = workflow.validate(registry: registry)
        guard issues.isEmpty else { return invalid(issues, file: file, json: json) }

        let executor = Executor(registry: registry, clock: clock, logger: logger)
        var recorders: [any RunRecorder] = json ? [] : [ProgressPrinter(console: console)]
        do {
            _ = try workflow.runVariables(inputs: inputs)
        } catch {
            return invalid([ValidationIssue(path: "inputs", message: error.message)], file: file, json: json)
        }
        var recordedRunID: Int64?
        if let store {
            do {
                let run = try await store.createRun(
                    flowName: file, flowVersion: flowVersion, document: workflow.document, trigger: .cli,
                    triggeredBy: CommandAuthor.current, inputs: inputs, status: .running, node: RunNode.current)
                recordedRunID = run.id
                recorders.append(StoreRunRecorder(store: store, runID: run.id, logger: logger))
            } catch {
                console.err("workflow: cannot record the run: \(error)\n")
                return 1
            }
        }
        let recorder = FanOutRecorder(recorders)
        let runID = recordedRunID
        let outcome = await withInterruptCancellation {
            do throws(InputError) {
                return Result<RunResult, InputError>.success(
                    try await executor.run(
                        workflow, options: RunOptions(inputs: inputs, runID: runID, triggeredBy: CommandAuthor.current), recorder: recorder))
            } catch {
                return .failure(error)
            }
        }
        let result: RunResult
        switch outcome {
        case .success(let r): result = r
        case .failure(let error): return invalid([ValidationIssue(path: "inputs", message: error.message)], file: file, json: json)
        }
        if json { console.out(JSONWriter.prettyString(from: RunReport.json(for: result)) + "\n") }
        switch result.status {
        case .success: return 0
        case .cancelled: return 130
        default: return 1
        }
    }

    private func invalid(_ issues: [ValidationIssue], file: String, json: Bool) -> Int32 {
        if json {
            console.out(JSONWriter.prettyString(from: RunReport.json(invalid: issues)) + "\n")
        } else {
            console.err(ValidateCommand.describe(issues, file: file))
        }
        return WorkFlowCommand.invalidExitCode
    }
}

/// Runs `body`, cancelling it when the process receives SIGINT or SIGTERM, so that Ctrl-C
/// cancels the run (and kills its child processes) instead of leaving them behind.
func withInterruptCancellation<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
    let task = Task { await body() }
    let sources = [SIGINT, SIGTERM].map { signalNumber -> any DispatchSourceSignal in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
    return await task.value
}
