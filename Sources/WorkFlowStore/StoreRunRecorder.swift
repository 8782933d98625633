import Foundation
import Logging
import WorkFlowEngine

/// Writes a run's events to the store: its start and every step's rows as they change, and its
/// end with the result.
///
/// With a ``ProgressTicker`` the changes of a moment are written together: they wait for the
/// ticker's next tick, and the run's end carries whatever still waits, in the same transaction.
/// A run whose steps take microseconds then costs the store one transaction for its whole
/// progress instead of two per step, while a step that runs longer is still seen running by
/// everyone reading the store (another node's live view, a restart after a crash) within one
/// tick. Without a ticker, each event is written before ``record(_:)`` returns.
///
/// Writes happen one after another in the order of the events, each on a task of its own (the
/// drivers refuse work on a cancelled task, and a cancelled run must still record its end).
/// A failed write never reaches the engine: it is logged and remembered in ``lastError``, and
/// the run goes on; the end then rewrites every step. (At the next start-up
/// ``RunStore/closeInterruptedRuns(node:now:)`` closes a run whose end could not be written.)
public actor StoreRunRecorder: RunRecorder {
    public nonisolated let runID: Int64
    /// The node whose queue lease the run holds; its end is written only while the lease holds.
    public nonisolated let claimedBy: String?
    /// What writes waiting changes; `nil` writes each at once.
    public nonisolated let ticker: ProgressTicker?
    private let store: SQLStore
    private let logger: Logger
    /// The most recent write that failed.
    public private(set) var lastError: StoreError?
    /// How many writes failed.
    public private(set) var failedWrites = 0
    /// How many writes (transactions) were handed out.
    public private(set) var writesStarted = 0

    /// The run's start, when it waits to be written.
    private var waitingStart: Date?
    /// Step rows waiting to be written, by step order; the latest state of each.
    private var waitingSteps: [Int: StepRecord] = [:]
    /// Whether the ticker knows this recorder has changes waiting.
    private var onTicker = false
    /// A progress write was handed out and has not finished.
    private var progressInFlight = false
    /// The last write handed out; each write waits for the one before it.
    private var lastWrite: Task<Void, Never>?
    /// The claiming node no longer holds the run (it was reaped while this node stalled): its
    /// progress is not written any more.
    public private(set) var leaseLost = false

    /// - Parameters:
    ///   - claimedBy: for a run claimed from the queue, the claiming node: the end is then
    ///     written only if that node still holds the lease (a run reaped after a stall must not
    ///     be overwritten by its late end).
    ///   - ticker: writes waiting changes at its ticks; `nil` writes each event before
    ///     ``record(_:)`` returns.
    public init(
        store: SQLStore, runID: Int64, claimedBy: String? = nil, ticker: ProgressTicker? = nil,
        logger: Logger = Logger(label: "workflow.store.recorder")
    ) {
        self.store = store
        self.runID = runID
        self.claimedBy = claimedBy
        self.ticker = ticker
        var logger = logger
        logger[metadataKey: "run.id"] = "\(runID)"
        self.logger = logger
    }

    public func record(_ event: RunEvent) async {
        switch event {
        case .runStarted(_, let startedAt, let steps):
            waitingStart = startedAt
            for step in steps { waitingSteps[step.order] = step }
        case .stepStarted(let step), .stepFinished(let step):
            waitingSteps[step.order] = step
        case .runFinished(let result):
            if onTicker {
                ticker?.forget(self)
                onTicker = false
            }
            await writeEnd(result).value
            return
        }
        if let ticker {
            if !onTicker {
                onTicker = true
                ticker.remember(self)
            }
        } else {
            await writeWaiting().value
        }
    }

    /// Writes what waits now instead of at the next tick; returns when it is written.
    public func flush() async {
        await writeWaiting().value
    }

    /// The ticker's call: hands what waits to a write, without waiting for it. While the last
    /// progress write is still going (a slow database), changes keep gathering instead of
    /// queueing a transaction per tick.
    func tick() {
        guard !progressInFlight else { return }
        _ = writeWaiting()
    }

    // MARK: - Writing
    /// Hands what waits to a write of its own, after the writes before it.
    private func writeWaiting() -> Task<Void, Never> {
        let startedAt = waitingStart
        let steps = waitingSteps.values.sorted { $0.order < $1.order }
        waitingStart = nil
        waitingSteps = [:]
        guard startedAt != nil || !steps.isEmpty else { return lastWrite ?? Task {} }
        progressInFlight = true
        return enqueue { (recorder) async throws(StoreError) in
            guard await !recorder.leaseLost else { return await recorder.progressSettled() }
            let written = try await recorder.store.recordProgress(
                runID: recorder.runID, startedAt: startedAt, steps: steps, claimedBy: recorder.claimedBy)
            if !written { await recorder.loseLease() }
            await recorder.progressSettled()
        } describing: { "progress (\(steps.count) steps)" }
    }

    /// Writes the end with the steps that wait, or every step after a failed write.
    private func writeEnd(_ result: RunResult) -> Task<Void, Never> {
        let waiting = waitingSteps
        waitingStart = nil
        waitingSteps = [:]
        return enqueue { (recorder) async throws(StoreError) in
            // The result holds each step's final state; the waiting records are only a fallback.
            let steps: [StepRecord]
            if await recorder.failedWrites > 0 {
                steps = result.steps
            } else {
                let final = Dictionary(result.steps.map { ($0.order, $0) }, uniquingKeysWith: { _, last in last })
                steps = waiting.keys.sorted().compactMap { final[$0] ?? waiting[$0] }
            }
            if let claimedBy = recorder.claimedBy {
                let held = try await recorder.store.finishClaimedRun(runID: recorder.runID, node: claimedBy, result: result, writingSteps: steps)
                if !held {
                    recorder.logger.warning("the run's lease was lost before it ended; its end was not recorded here")
                }
            } else {
                try await recorder.store.finishRun(runID: recorder.runID, result: result, writingSteps: steps)
            }
        } describing: { "run finished" }
    }

    private func enqueue(
        _ write: @escaping @Sendable (StoreRunRecorder) async throws(StoreError) -> Void, describing what: @escaping @Sendable () -> String
    ) -> Task<Void, Never> {
        writesStarted += 1
        let previous = lastWrite
        let task = Task {
            await previous?.value
            do throws(StoreError) {
                try await write(self)
            } catch {
                self.failed(error, writing: what())
            }
        }
        lastWrite = task
        return task
    }

    private func progressSettled() {
        progressInFlight = false
    }

    private func loseLease() {
        guard !leaseLost else { return }
        leaseLost = true
        logger.warning("the run's lease was lost (it was reaped or requeued); its progress is no longer recorded here")
    }

    private func failed(_ error: StoreError, writing what: String) {
        progressInFlight = false
        failedWrites += 1
        lastError = error
        logger.error("could not record a run event", metadata: ["event": "\(what)", "error": "\(error)"])
    }
}
