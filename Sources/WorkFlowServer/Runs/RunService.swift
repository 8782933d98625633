import Foundation
import Logging
import WorkFlowEngine
import WorkFlowStore

/// Starts runs of stored workflows through the durable queue, executes the runs this node
/// claims, lets callers wait for a run's end, and cancels runs.
///
/// Every run is checked before it is queued (the workflow exists, is enabled, is valid, and the
/// inputs fit its declarations). Queueing writes the run row and its queue entry in one
/// transaction; from then on the run is never lost: a worker of some node claims it with a lease
/// it renews while the run executes, and a run whose lease runs out (its node died) is failed or
/// requeued by the reaper that every node runs.
///
/// ``runWorkers()`` runs the claim loop, the heartbeat and the reaper until ``shutdown(grace:)``.
public actor RunService {
    /// How a node takes part in the queue.
    public struct Tuning: Sendable {
        /// Runs this node executes at the same time.
        public var workers: Int
        /// How long a claim holds without renewal; a node that dies loses its runs after this.
        public var leaseDuration: Duration
        /// How often leases are renewed and cancel requests from other nodes are checked.
        public var heartbeatInterval: Duration
        /// How often the queue is looked at when nothing wakes the workers (runs queued by other nodes).
        public var pollInterval: Duration
        /// How often expired leases are reaped.
        public var reapInterval: Duration
        /// How long a step's change may wait to be written with later ones (see
        /// ``StoreRunRecorder``); `nil` writes each at once.
        public var stepWriteDelay: Duration?
        /// What the workers' own waits (polling, heartbeat, reaping, the shutdown grace) sleep on:
        /// real time, even when runs are given a manual clock in tests.
        public var timers: any EngineClock

        public init(
            workers: Int = 8, leaseDuration: Duration = .seconds(30), heartbeatInterval: Duration = .seconds(10),
            pollInterval: Duration = .seconds(1), reapInterval: Duration = .seconds(10),
            stepWriteDelay: Duration? = .milliseconds(100), timers: any EngineClock = SystemClock()
        ) {
            self.workers = max(1, workers)
            self.leaseDuration = leaseDuration
            self.heartbeatInterval = heartbeatInterval
            self.pollInterval = pollInterval
            self.reapInterval = reapInterval
            self.stepWriteDelay = stepWriteDelay
            self.timers = timers
        }
    }

    let store: SQLStore
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }
    let hub: RunEventHub
    let metrics: ServerMetrics
    let clock: any EngineClock
    let logger: Logger
    let node: String
    let tuning: Tuning
    /// Writes the step progress of this node's runs together (`nil`: each change at once).
    let ticker: ProgressTicker?
    /// Documents already read and validated.
    let checked: CheckedWorkflows
    private var tasks: [Int64: Task<Void, Never>] = [:]
    private var accepting = true
    /// Whether the claim loop takes more runs; off from the start of a shutdown.
    private var claiming = true
    /// Whether the shutdown has finished: the heartbeat, the reaper and the progress ticker go on
    /// until then, so that runs finishing during the grace period keep their leases and record
    /// their progress.
    private var stopped = false
    /// A wake-up that arrived while nobody waited.
    private var wakePending = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init(
        store: SQLStore, modules: ModuleLibrary, hub: RunEventHub, metrics: ServerMetrics, clock: any EngineClock = SystemClock(),
        logger: Logger, node: String, tuning: Tuning = Tuning()
    ) {
        self.store = store
        self.modules = modules
        self.hub = hub
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.node = node
        self.tuning = tuning
        ticker = tuning.stepWriteDelay.map { ProgressTicker(interval: $0, clock: tuning.timers) }
        checked = CheckedWorkflows(modules: modules)
    }

    // MARK: Starting and following runs

    /// Checks the stored workflow `flowName` and queues a run of its current version.
    public func start(flowName: String, inputs: JSONObject, trigger: RunTrigger, triggeredBy: String?) async throws -> StoredRun {
        guard accepting else {
            throw APIError(.serviceUnavailable, code: "shutting_down", message: "the server is shutting down; try again shortly")
        }
        guard let flow = try await store.flow(named: flowName), !flow.deleted else {
            throw APIError.notFound("workflow '\(flowName)' does not exist")
        }
        guard flow.enabled else {
            throw APIError(.conflict, code: "flow_disabled", message: "workflow '\(flow.name)' is disabled; enable it first")
        }
        let (workflow, issues) = await checked.checkLoadingModules(flow.document, flowName: flow.name, version: flow.currentVersion)
        guard issues.isEmpty else { throw APIError.invalidWorkflow(issues) }
        do {
            _ = try workflow.runVariables(inputs: inputs)
        } catch {
            throw APIError.badRequest("invalid inputs: \(error.message)", code: "invalid_inputs")
        }
        let run = try await store.enqueueRun(
            flowName: flow.name, flowVersion: flow.currentVersion, document: flow.document, trigger: trigger,
            triggeredBy: triggeredBy, inputs: inputs, now: clock.now())
        wake()
        return run
    }

    /// Queues a run that picks up a failed or cancelled run where it stopped: the same document
    /// snapshot and inputs, with the steps that succeeded taken as done (their results are what
    /// later steps see), so the failed step and those after it run again.
    public func resume(runID previousID: Int64, trigger: RunTrigger = .api, triggeredBy: String?) async throws -> StoredRun {
        guard accepting else {
            throw APIError(.serviceUnavailable, code: "shutting_down", message: "the server is shutting down; try again shortly")
        }
        guard let previous = try await store.run(id: previousID), let document = try await store.runDocument(id: previousID) else {
            throw APIError.notFound("run \(previousID) does not exist")
        }
        guard previous.status == .failed || previous.status == .cancelled else {
            throw APIError(
                .conflict, code: "not_resumable",
                message: "run \(previousID) is \(previous.status.rawValue); only a failed or cancelled run can be resumed from where it stopped")
        }
        let resumed = Workflow(document: .object(document))
        let issues = resumed.validate(registry: await modules.registry(for: resumed))
        guard issues.isEmpty else { throw APIError.invalidWorkflow(issues) }
        let reused = try await store.steps(runID: previousID).filter { $0.status == .success }
        let run = try await store.enqueueRun(
            flowName: previous.flowName, flowVersion: previous.flowVersion, document: document, trigger: trigger,
            triggeredBy: triggeredBy, inputs: previous.inputs, reusing: reused, now: clock.now())
        wake()
        return run
    }

    /// Waits until the run has ended or `timeout` has passed; returns whether it ended.
    ///
    /// Runs executing in this process are followed through the event hub; the store is polled as
    /// well, so a run executed by another node is seen to end too.
    public func waitForEnd(runID: Int64, timeout: Duration) async throws -> Bool {
        let events = await hub.subscribe(runID: runID)
        if try await Self.hasEnded(runID, store: store) { return true }
        let store = store
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in events {
                    if case .runFinished = event { return true }
                }
                return false
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if (try? await Self.hasEnded(runID, store: store)) == true { return true }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let ended = await group.next() ?? false
            group.cancelAll()
            if ended { return true }
            return (try? await Self.hasEnded(runID, store: store)) ?? false
        }
    }

    /// Cancels a run: a queued one at once; a running one is asked to stop (here at once, on
    /// another node at its next heartbeat) and ends `cancelled`.
    public func cancel(runID: Int64, reason: String?) async throws -> RunCancellation {
        let outcome = try await store.cancelRun(id: runID, reason: reason, now: clock.now())
        if outcome == .requested { tasks[runID]?.cancel() }
        return outcome
    }

    /// How many runs execute in this process now.
    public var activeCount: Int { tasks.count }

    static func hasEnded(_ runID: Int64, store: SQLStore) async throws -> Bool {
        guard let run = try await store.run(id: runID) else { throw APIError.notFound("run \(runID) does not exist") }
        return run.status != .running && run.status != .queued
    }

    // MARK: Workers

    /// Claims and executes runs, renews leases and reaps expired ones until ``shutdown(grace:)``.
    public func runWorkers() async {
        let ticker = ticker
        let ticking = Task { await ticker?.run() }
        defer { ticking.cancel() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.claimLoop() }
            group.addTask { await self.every(self.tuning.heartbeatInterval) { await self.heartbeat() } }
            group.addTask { await self.every(self.tuning.reapInterval) { await self.reap() } }
        }
    }

    /// Stops claiming and queueing, gives executing runs `grace` to finish, then cancels the rest
    /// and waits until each has recorded its end. Runs still queued stay queued for the next start
    /// (or another node).
    public func shutdown(grace: Duration) async {
        accepting = false
        claiming = false
        wake()
        defer { stopped = true }
        let running = tasks
        guard !running.isEmpty else { return }
        logger.info("waiting for running runs to finish", metadata: ["runs": "\(running.count)", "grace": "\(grace)"])
        let clock = tuning.timers
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for task in running.values { await task.value }
                return true
            }
            group.addTask {
                try? await clock.sleep(for: grace)
                return false
            }
            let first = await group.next() ?? false
            if !first {
                // Cancelled runs end promptly and record themselves as cancelled, which lets the
                // first child finish too.
                for task in running.values { task.cancel() }
            }
            group.cancelAll()
            return first
        }
        if !drained {
            logger.warning("cancelled the runs still running after the grace period", metadata: ["runs": "\(running.count)"])
        }
    }

    private func claimLoop() async {
        while claiming && !Task.isCancelled {
            let free = tuning.workers - tasks.count
            if free > 0 {
                do {
                    let claimed = try await store.claimRuns(node: node, limit: free, leaseDuration: tuning.leaseDuration, now: clock.now())
                    for run in claimed { execute(run) }
                    // A full batch may mean more is waiting: look again at once.
                    if claimed.count == free { continue }
                } catch {
                    logger.error("claiming runs failed; trying again", metadata: ["error": "\(error)"])
                }
            }
            await waitForWork()
        }
    }

    private func execute(_ claimed: ClaimedRun) {
        let execution = RunExecution(
            store: store, modules: modules, hub: hub, metrics: metrics, clock: clock, logger: logger, ticker: ticker)
        let node = node
        let workflow = checked.check(claimed.document, flowName: claimed.flowName, version: claimed.flowVersion).workflow
        tasks[claimed.runID] = Task {
            _ = await execution.execute(
                runID: claimed.runID, document: claimed.document, workflow: workflow, inputs: claimed.inputs, triggeredBy: claimed.triggeredBy,
                claimedBy: node, reusedSteps: Dictionary(claimed.reusedSteps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }))
            self.finished(claimed.runID)
        }
    }

    private func finished(_ runID: Int64) {
        tasks[runID] = nil
        wake()
    }

    /// Renews this node's leases; stops runs whose lease was lost (reaped after a stall) or whose
    /// cancellation was asked for on another node.
    private func heartbeat() async {
        let ids = Array(tasks.keys)
        guard !ids.isEmpty else { return }
        do {
            let renewal = try await store.renewLeases(node: node, runIDs: ids, until: clock.now().addingTimeInterval(tuning.leaseDuration.seconds))
            for id in renewal.lost {
                logger.warning("lost the lease of a run; stopping it", metadata: ["run.id": "\(id)"])
                tasks[id]?.cancel()
            }
            for id in try await store.cancelRequested(runIDs: renewal.held) {
                tasks[id]?.cancel()
            }
        } catch {
            logger.error("renewing run leases failed; trying again", metadata: ["error": "\(error)"])
        }
    }

    private func reap() async {
        do {
            _ = try await store.reapExpiredLeases(now: clock.now())
        } catch {
            logger.error("reaping expired run leases failed; trying again", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body` every `interval` until the service stops (or the task is cancelled).
    private func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
        while !stopped && !Task.isCancelled {
            await body()
            try? await tuning.timers.sleep(for: interval)
        }
    }

    // MARK: Wake-ups

    /// Lets the claim loop look at the queue now (a run was queued here, or a worker came free).
    private func wake() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            wakePending = true
        }
    }

    /// Returns at the next wake-up or after the poll interval, whichever comes first.
    private func waitForWork() async {
        if wakePending || !claiming {
            wakePending = false
            return
        }
        let clock = tuning.timers
        let interval = tuning.pollInterval
        let timer = Task { [weak self] in
            try? await clock.sleep(for: interval)
            await self?.wake()
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
    }
}

extension Duration {
    /// The duration in seconds, for `Date` arithmetic.
    var seconds: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
