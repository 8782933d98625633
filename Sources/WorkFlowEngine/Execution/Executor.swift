import Foundation
import Logging
import OrderedCollections

/// What a run is given besides the workflow.
public struct RunOptions: Sendable {
    /// Values for the workflow's inputs (and any other variables), overriding `variables`.
    public var inputs: JSONObject
    /// The stored run's id, if it has one.
    public var runID: Int64?
    /// Who started the run (a user name, `api`, `cron`), for system-variable permissions.
    public var triggeredBy: String?
    /// Steps that already succeeded in an earlier run, by name: they are not run again; their
    /// records are kept and their results are what later steps see. Re-running a failed run from
    /// its failed step passes the earlier run's successful steps here.
    public var reusedSteps: [String: StepRecord]

    public init(
        inputs: JSONObject = [:], runID: Int64? = nil, triggeredBy: String? = nil, reusedSteps: [String: StepRecord] = [:]
    ) {
        self.inputs = inputs
        self.runID = runID
        self.triggeredBy = triggeredBy
        self.reusedSteps = reusedSteps
    }
}

/// Runs workflows: a graph of steps with bounded concurrency, `when` conditions, `foreach`,
/// retries with backoff, timeouts, `on_error` and cancellation. Scheduling decisions come from
/// ``RunStateMachine``; this type does the work and reports ``RunEvent``s to a ``RunRecorder``.
///
/// Cancelling the task that calls ``run(_:options:recorder:)`` cancels the run: running steps are
/// cancelled, steps not started are skipped, and the run ends `cancelled`.
public struct Executor: Sendable {
    public var registry: ModuleRegistry
    public var clock: any EngineClock
    public var systemVariables: any SystemVariableProvider
    public var logger: Logger

    public init(
        registry: ModuleRegistry, clock: any EngineClock = SystemClock(),
        systemVariables: any SystemVariableProvider = InMemorySystemVariables(),
        logger: Logger = Logger(label: "workflow.engine", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.registry = registry
        self.clock = clock
        self.systemVariables = systemVariables
        self.logger = logger
    }

    /// Runs `workflow` to the end and returns what happened.
    ///
    /// Inputs are checked against the workflow's declarations first; an invalid input throws
    /// before anything runs. Call ``Workflow/validate(registry:)`` before running: the executor
    /// does not repeat those checks, it only fails the steps they would have caught.
    public func run(
        _ workflow: Workflow, options: RunOptions = RunOptions(), recorder: any RunRecorder = DiscardingRecorder()
    ) async throws(InputError) -> RunResult {
        let variables = try workflow.runVariables(inputs: options.inputs)
        var run = RunState(workflow: workflow, variables: variables, options: options, executor: self)
        return await run.execute(recorder: recorder)
    }
}

/// How one started step ended, as reported by its task.
struct StepCompletion: Sendable {
    var index: Int
    var record: StepRecord
    var outcome: RunStateMachine.Outcome
    /// What later steps see under the step's name (`nil`: nothing).
    var contextValue: JSONValue?
}

/// The mutable state of one run; lives on the run's task only.
private struct RunState {
    let workflow: Workflow
    let variables: JSONObject
    let options: RunOptions
    let executor: Executor
    let session = RunSession()
    let secrets = RunSecrets()
    var records: [StepRecord]
    var results: [String: JSONValue] = [:]
    var statuses: [String: StepStatus] = [:]
    var runError: String?
    var logger: Logger

    init(workflow: Workflow, variables: JSONObject, options: RunOptions, executor: Executor) {
        self.workflow = workflow
        self.variables = variables
        self.options = options
        self.executor = executor
        self.records = workflow.procedures.enumerated().map { i, step in
            StepRecord(
                name: step.name, order: i, module: step.mod, method: step.method,
                params: SecretMasker().mask(.object(step.params)))
        }
        var logger = executor.logger
        if let runID = options.runID { logger[metadataKey: "run.id"] = "\(runID)" }
        self.logger = logger
        for (i, step) in workflow.procedures.enumerated() {
            guard var reused = options.reusedSteps[step.name], reused.status == .success else { continue }
            reused.order = i
            records[i] = reused
            statuses[step.name] = .success
            if let result = reused.result { results[step.name] = result }
        }
    }

    /// Whether step `i` succeeded in an earlier run and is taken as done.
    func isReused(_ i: Int) -> Bool {
        options.reusedSteps[workflow.procedures[i].name]?.status == .success
    }

    enum TaskResult: Sendable {
        case step(StepCompletion)
        case runTimedOut
        case timerStopped
    }

    mutating func execute(recorder: any RunRecorder) async -> RunResult {
        let startedAt = executor.clock.now()
        logger.info("run started", metadata: ["steps": "\(workflow.procedures.count)"])
        await recorder.record(.runStarted(runID: options.runID, startedAt: startedAt, steps: records))
        var machine = RunStateMachine(
            dependencies: workflow.dependencyIndices(), disabled: workflow.procedures.map(\.disabled),
            maxParallel: workflow.maxParallel ?? Workflow.defaultMaxParallel)
        var finalStatus = RunStatus.success
        let clock = executor.clock
        let runTimeout = workflow.timeout

        await withTaskGroup(of: TaskResult.self) { group in
            if let runTimeout {
                group.addTask {
                    do {
                        try await clock.sleep(for: .seconds(fraction: runTimeout))
                        return .runTimedOut
                    } catch {
                        return .timerStopped
                    }
                }
            }
            var actions = machine.start()
            while true {
                var finished: RunStatus?
                var position = 0
                while position < actions.count {
                    let action = actions[position]
                    position += 1
                    switch action {
                    case .start(let i) where isReused(i):
                        // Done in an earlier run: its record stands, and the machine moves on.
                        await recorder.record(.stepFinished(records[i]))
                        actions += machine.stepFinished(i, .succeeded)
                    case .start(let i):
                        let task = prepareStart(i)
                        await recorder.record(.stepStarted(records[i]))
                        group.addTask { .step(await task.run()) }
                    case .skip(let i, let reason):
                        skip(i, reason: reason)
                        await recorder.record(.stepFinished(records[i]))
                    case .cancelRunning:
                        group.cancelAll()
                    case .finish(let status):
                        finished = status
                    }
                }
                if let finished {
                    finalStatus = finished
                    group.cancelAll()
                    break
                }
                guard let next = await group.next() else { break }
                actions = []
                if Task.isCancelled, machine.stopStatus == nil {
                    runError = runError ?? "the run was cancelled"
                    actions += machine.stop(.cancelled)
                }
                switch next {
                case .step(let completion):
                    complete(completion)
                    await recorder.record(.stepFinished(records[completion.index]))
                    actions += machine.stepFinished(completion.index, completion.outcome)
                case .runTimedOut:
                    runError = "the workflow timed out after \(RunStateFormat.seconds(runTimeout ?? 0))"
                    actions += machine.stop(.failed)
                case .timerStopped:
                    break
                }
            }
        }
        await session.closeAll()

        let endedAt = executor.clock.now()
        if finalStatus == .failed, runError == nil {
            runError = records.first { $0.status == .failed }.map { "step '\($0.name)' failed: \($0.error ?? "unknown error")" }
        }
        // The context leaves the engine (API responses, stored runs), so it is masked like the
        // step records; steps inside the run saw the real values.
        let masker = secrets.masker
        var context = JSONObject()
        if !variables.isEmpty { context["var"] = masker.mask(.object(variables)) }
        for record in records {
            if let value = results[record.name] { context[record.name] = masker.mask(value) }
        }
        let result = RunResult(
            runID: options.runID, status: finalStatus, startedAt: startedAt, endedAt: endedAt,
            durationMs: Self.milliseconds(from: startedAt, to: endedAt), steps: records,
            error: finalStatus == .success ? nil : runError, context: context)
        logger.info("run finished", metadata: ["status": "\(finalStatus.rawValue)", "duration_ms": "\(result.durationMs)"])
        await recorder.record(.runFinished(result))
        return result
    }

    /// Marks step `i` running and captures what its task needs.
    mutating func prepareStart(_ i: Int) -> StepTask {
        let now = executor.clock.now()
        records[i].status = .running
        records[i].startedAt = now
        statuses[workflow.procedures[i].name] = .running
        var stepLogger = logger
        stepLogger[metadataKey: "step.name"] = "\(workflow.procedures[i].name)"
        return StepTask(
            index: i, procedure: workflow.procedures[i], record: records[i],
            scope: ReferenceScope(results: results, variables: variables, statuses: statuses),
            defaultOnError: workflow.onError ?? .fail, executor: executor, session: session, secrets: secrets,
            runID: options.runID, triggeredBy: options.triggeredBy, logger: stepLogger)
    }

    mutating func skip(_ i: Int, reason: RunStateMachine.SkipReason) {
        let now = executor.clock.now()
        records[i].status = .skipped
        records[i].endedAt = now
        switch reason {
        case .disabled:
            records[i].error = "the step is disabled"
        case .runStopped:
            records[i].error = runError.map { "not run: \($0)" } ?? "not run: the run stopped before this step"
        }
        statuses[records[i].name] = .skipped
    }

    mutating func complete(_ completion: StepCompletion) {
        var record = completion.record
        if case .failed(stopsRun: true) = completion.outcome, runError == nil {
            runError = "step '\(record.name)' failed: \(record.error ?? "unknown error")"
        }
        if record.status == .cancelled, record.error == nil {
            record.error = runError.map { "cancelled: \($0)" } ?? "cancelled"
        }
        records[completion.index] = record
        statuses[record.name] = record.status
        if let value = completion.contextValue { results[record.name] = value }
    }

    static func milliseconds(from start: Date, to end: Date) -> Int {
        max(0, Int((end.timeIntervalSince(start) * 1000).rounded(.down)))
    }
}
