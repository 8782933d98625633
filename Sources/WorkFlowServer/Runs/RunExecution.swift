import Foundation
import Logging
import WorkFlowEngine
import WorkFlowStore

/// Executes one recorded run: the document snapshot it was started with, its inputs, every event
/// written to the store as it happens and published to live subscribers.
struct RunExecution: Sendable {
    let store: SQLStore
    let modules: ModuleLibrary
    let hub: RunEventHub
    let metrics: ServerMetrics
    let clock: any EngineClock
    let logger: Logger
    /// Writes step changes together (see ``StoreRunRecorder``); `nil` writes each at once.
    var ticker: ProgressTicker? = nil

    /// Runs to the end (or until the calling task is cancelled) and returns the result.
    /// - Parameter claimedBy: the node holding the run's queue lease, if it was claimed.
    /// - Parameter workflow: `document` already read, when the caller has it.
    func execute(
        runID: Int64, document: JSONObject, workflow: Workflow? = nil, inputs: JSONObject, triggeredBy: String?, claimedBy: String? = nil,
        reusedSteps: [String: StepRecord] = [:]
    ) async -> RunResult {
        var logger = logger
        logger[metadataKey: "run.id"] = "\(runID)"
        // The hub comes last: whoever it tells of a run's end finds the end stored and counted.
        // (Step changes may reach the store up to one tick of the ticker later.)
        let recorder = FanOutRecorder([
            StoreRunRecorder(store: store, runID: runID, claimedBy: claimedBy, ticker: ticker, logger: logger),
            RunMetricsRecorder(metrics: metrics),
            HubRecorder(hub: hub, runID: runID),
        ])
        let workflow = workflow ?? Workflow(document: .object(document))
        // A custom module created or changed on another node is loaded before the run needs it.
        let executor = Executor(registry: await modules.registry(for: workflow), clock: clock, logger: logger)
        do {
            return try await executor.run(
                workflow, options: RunOptions(inputs: inputs, runID: runID, triggeredBy: triggeredBy, reusedSteps: reusedSteps),
                recorder: recorder)
        } catch {
            // Inputs are checked before a run is recorded; reaching this means the document or
            // the declarations changed meaning in between. The run still gets a true ending.
            let now = clock.now()
            let result = RunResult(
                runID: runID, status: .failed, startedAt: now, endedAt: now, durationMs: 0, steps: [],
                error: "invalid inputs: \(error.message)", context: [:])
            await recorder.record(.runFinished(result))
            return result
        }
    }
}
