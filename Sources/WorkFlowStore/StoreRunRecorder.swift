import Foundation
import Logging
import WorkFlowEngine

/// Writes a run's events to the store: its start and every step's rows as they change, and its
/// end with the result.
///
/// With a ``writeDelay`` the changes of a moment are written together: a change waits at most
/// that long, and the run's end carries whatever still waits, in the same transaction. A run
/// whose steps take microseconds then costs the store one transaction for its whole progress
/// instead of two per step, while a step that runs longer is still seen running by everyone
/// reading the store (another node's live view, a restart after a crash) after `writeDelay`.
/// Without one, each event is written before ``record(_:)`` returns.
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
    /// How long a change may wait to be written with later ones; `nil` writes each at once.
    public nonisolated let writeDelay: Duration?
    private let store: SQLStore
    private let timers: any EngineClock
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
    /// The pending delayed write, if one is scheduled; a newer generation makes it moot.
    private var timer: Task<Void, Never>?
    private var timerGeneration = 0
    /// The last write handed out; each write waits for the one before it.
    private var lastWrite: Task<Void, Never>?

    /// - Parameters:
    ///   - claimedBy: for a run claimed from the queue, the claiming node: the end is then
    ///     written only if that node still holds the lease (a run reaped after a stall must not
    ///     be overwritten by its late end).
    ///   - writeDelay: how long changes may wait to be written together; `nil` writes each event
    ///     before ``record(_:)`` returns.
    ///   - timers: what the delay sleeps on.
    public init(
        store: SQLStore, runID: Int64, claimedBy: String? = nil, writeDelay: Duration? = nil, timers: any EngineClock = SystemClock(),
        logger: Logger = Logger(label: "workflow.store.recorder")
    ) {
        self.store = store
        self.runID = runID
        self.claimedBy = claimedBy
        self.writeDelay = writeDelay
        self.timers = timers
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
            timer?.cancel()
            timer = nil
            timerGeneration += 1
            await writeEnd(result).value
            return
        }
        if let writeDelay {
            scheduleWrite(after: writeDelay)
        } else {
            await writeWaiting().value
        }
    }

    /// Writes what waits now instead of after the delay; returns when it is written.
    public func flush() async {
        timer?.cancel()
        timer = nil
        timerGeneration += 1
        await writeWaiting().value
    }

    // MARK: - Writing

    private func scheduleWrite(after delay: Duration) {
        guard timer == nil else { return }
        let generation = timerGeneration
        let timers = timers
        timer = Task { [weak self] in
            try? await timers.sleep(for: delay)
            await self?.timerFired(generation)
        }
    }

    private func timerFired(_ generation: Int) {
        // A flush or the run's end came first and took what waited.
        guard generation == timerGeneration else { return }
        timer = nil
        _ = writeWaiting()
    }

    /// Hands what waits to a write of its own, after the writes before it.
    private func writeWaiting() -> Task<Void, Never> {
        let startedAt = waitingStart
        let steps = waitingSteps.values.sorted { $0.order < $1.order }
        waitingStart = nil
        waitingSteps = [:]
        guard startedAt != nil || !steps.isEmpty else { return lastWrite ?? Task {} }
        return enqueue { (recorder) async throws(StoreError) in
            try await recorder.store.recordProgress(runID: recorder.runID, startedAt: startedAt, steps: steps)
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

    private func failed(_ error: StoreError, writing what: String) {
        failedWrites += 1
        lastError = error
        logger.error("could not record a run event", metadata: ["event": "\(what)", "error": "\(error)"])
    }
}
