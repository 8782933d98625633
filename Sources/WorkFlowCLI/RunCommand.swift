import ArgumentParser
import Foundation
import Logging
import WorkFlowEngine
import WorkFlowModules

/// `workflow run --file FLOW.json [--var KEY=VALUE]... [--json]`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Validate and run a workflow file, showing each step as it runs.",
        discussion: """
            Exit status: 0 when the run succeeds, 1 when it fails, 2 when the file or the command \
            line is invalid, 130 when interrupted (Ctrl-C cancels the run and its running steps).
            """
    )

    @Option(name: [.short, .long], help: "The workflow JSON file to run.")
    var file: String

    @Option(name: .customLong("var"), help: ArgumentHelp("Set a variable or input for this run (repeatable).", valueName: "KEY=VALUE"))
    var variables: [String] = []

    @Flag(help: "Print exactly one JSON document with the outcome, instead of progress lines.")
    var json = false

    @Flag(name: .shortAndLong, help: "Also print the engine's log lines on standard error.")
    var verbose = false

    func validate() throws {
        for assignment in variables {
            guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
                throw ValidationError("--var \(assignment): expected KEY=VALUE")
            }
        }
    }

    func run() async throws {
        var inputs = JSONObject()
        for assignment in variables {
            let eq = assignment.firstIndex(of: "=")!
            inputs[String(assignment[..<eq])] = .string(String(assignment[assignment.index(after: eq)...]))
        }
        let runner = WorkflowRunner(console: StandardConsole(), registry: BuiltinModules.registry(), verbose: verbose)
        let code = await runner.run(file: file, inputs: inputs, json: json)
        if code != 0 { throw ExitCode(code) }
    }
}

/// The work behind `workflow run`, separate from argument parsing so tests drive it directly.
public struct WorkflowRunner: Sendable {
    public var console: any Console
    public var registry: ModuleRegistry
    public var clock: any EngineClock
    public var verbose: Bool

    public init(console: any Console, registry: ModuleRegistry, clock: any EngineClock = SystemClock(), verbose: Bool = false) {
        self.console = console
        self.registry = registry
        self.clock = clock
        self.verbose = verbose
    }

    /// Validates and runs the file; returns the exit status.
    public func run(file: String, inputs: JSONObject, json: Bool) async -> Int32 {
        let workflow: Workflow
        do {
            workflow = try WorkflowFile.load(file)
        } catch {
            return invalid(error.issues.isEmpty ? [ValidationIssue(path: "file", message: error.description)] : error.issues, file: file, json: json)
        }
        let issues = workflow.validate(registry: registry)
        guard issues.isEmpty else { return invalid(issues, file: file, json: json) }

        var logger = Logger(label: "workflow", factory: { _ in SwiftLogNoOpLogHandler() })
        if verbose {
            logger = Logger(label: "workflow", factory: { label in StreamLogHandler.standardError(label: label) })
            logger.logLevel = .debug
        }
        let executor = Executor(registry: registry, clock: clock, logger: logger)
        let recorder: any RunRecorder = json ? DiscardingRecorder() : ProgressPrinter(console: console)
        do {
            _ = try workflow.runVariables(inputs: inputs)
        } catch {
            return invalid([ValidationIssue(path: "inputs", message: error.message)], file: file, json: json)
        }
        let outcome = await withInterruptCancellation {
            do throws(InputError) {
                return Result<RunResult, InputError>.success(
                    try await executor.run(workflow, options: RunOptions(inputs: inputs), recorder: recorder))
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
