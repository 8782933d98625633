import Logging
import WorkFlowEngine

/// Writes a run's events to the store as they happen: the start marks every step pending,
/// each step start and end updates its row, the end writes the result.
///
/// A failed write never reaches the engine: it is logged and remembered in ``lastError``, and the
/// run goes on. (At the next start-up ``RunStore/closeInterruptedRuns(node:now:)`` closes a run
/// whose end could not be written.)
public actor StoreRunRecorder: RunRecorder {
    public nonisolated let runID: Int64
    /// The node whose queue lease the run holds; its end is written only while the lease holds.
    public nonisolated let claimedBy: String?
    private let store: SQLStore
    private let logger: Logger
    /// The most recent write that failed.
    public private(set) var lastError: StoreError?
    /// How many writes failed.
    public private(set) var failedWrites = 0

    /// - Parameter claimedBy: for a run claimed from the queue, the claiming node: the end is then
    ///   written only if that node still holds the lease (a run reaped after a stall must not be
    ///   overwritten by its late end).
    public init(
        store: SQLStore, runID: Int64, claimedBy: String? = nil, logger: Logger = Logger(label: "workflow.store.recorder")
    ) {
        self.store = store
        self.runID = runID
        self.claimedBy = claimedBy
        var logger = logger
        logger[metadataKey: "run.id"] = "\(runID)"
        self.logger = logger
    }

    public func record(_ event: RunEvent) async {
        // A cancelled run still records how it ended: the drivers refuse work on a cancelled
        // task, so its writes go through a task of their own.
        if Task.isCancelled {
            await Task { await self.write(event) }.value
        } else {
            await write(event)
        }
    }

    private func write(_ event: RunEvent) async {
        do {
            switch event {
            case .runStarted(_, let startedAt, let steps):
                try await store.markRunStarted(runID: runID, startedAt: startedAt, steps: steps)
            case .stepStarted(let step):
                try await store.recordStepStarted(runID: runID, step: step)
            case .stepFinished(let step):
                try await store.recordStepFinished(runID: runID, step: step)
            case .runFinished(let result):
                // The step rows already hold the truth unless one of their writes failed.
                if let claimedBy {
                    let held = try await store.finishClaimedRun(
                        runID: runID, node: claimedBy, result: result, rewritingSteps: failedWrites > 0)
                    if !held {
                        logger.warning("the run's lease was lost before it ended; its end was not recorded here")
                    }
                } else {
                    try await store.finishRun(runID: runID, result: result, rewritingSteps: failedWrites > 0)
                }
            }
        } catch {
            failedWrites += 1
            lastError = error
            logger.error("could not record a run event", metadata: ["event": "\(event.name)", "error": "\(error)"])
        }
    }
}

extension RunEvent {
    /// A short name for log lines.
    fileprivate var name: String {
        switch self {
        case .runStarted: "run started"
        case .stepStarted(let step): "step '\(step.name)' started"
        case .stepFinished(let step): "step '\(step.name)' finished"
        case .runFinished: "run finished"
        }
    }
}
