import Foundation
import Logging
import WorkFlowEngine
import WorkFlowStore

/// Starts runs of stored workflows, lets callers wait for their end, and cancels them.
///
/// Every run is checked before it is recorded (the workflow exists, is enabled, is valid, and the
/// inputs fit its declarations), so a recorded run is one that was allowed to start.
public actor RunService {
    let store: SQLStore
    let registry: ModuleRegistry
    let hub: RunEventHub
    let metrics: ServerMetrics
    let clock: any EngineClock
    let logger: Logger
    let node: String
    private var tasks: [Int64: Task<Void, Never>] = [:]
    private var accepting = true

    public init(
        store: SQLStore, registry: ModuleRegistry, hub: RunEventHub, metrics: ServerMetrics, clock: any EngineClock = SystemClock(),
        logger: Logger, node: String
    ) {
        self.store = store
        self.registry = registry
        self.hub = hub
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.node = node
    }

    /// Checks and records a run of the stored workflow `flowName`, and starts it.
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
        let workflow = Workflow(document: .object(flow.document))
        let issues = workflow.validate(registry: registry)
        guard issues.isEmpty else { throw APIError.invalidWorkflow(issues) }
        do {
            _ = try workflow.runVariables(inputs: inputs)
        } catch {
            throw APIError.badRequest("invalid inputs: \(error.message)", code: "invalid_inputs")
        }
        let run = try await store.createRun(
            flowName: flow.name, flowVersion: flow.currentVersion, document: flow.document, trigger: trigger,
            triggeredBy: triggeredBy, inputs: inputs, status: .running, node: node)
        let execution = RunExecution(store: store, registry: registry, hub: hub, metrics: metrics, clock: clock, logger: logger)
        tasks[run.id] = Task {
            _ = await execution.execute(runID: run.id, document: flow.document, inputs: inputs, triggeredBy: triggeredBy)
            await self.finished(run.id)
        }
        return run
    }

    /// Waits until the run has ended or `timeout` has passed; returns whether it ended.
    ///
    /// Runs in this process are followed through the event hub; the store is polled as well, so
    /// a run executed elsewhere is seen to end too.
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
            // The hub stream may end because it finished; confirm from the store when unsure.
            if ended { return true }
            return (try? await Self.hasEnded(runID, store: store)) ?? false
        }
    }

    /// Cancels a run executing in this process; returns `false` when none has this id.
    public func cancel(runID: Int64) -> Bool {
        guard let task = tasks[runID] else { return false }
        task.cancel()
        return true
    }

    /// Stops accepting runs, gives running ones `grace` to finish, then cancels the rest and
    /// waits until each has recorded its end.
    public func shutdown(grace: Duration) async {
        accepting = false
        let running = tasks
        guard !running.isEmpty else { return }
        logger.info("waiting for running runs to finish", metadata: ["runs": "\(running.count)", "grace": "\(grace)"])
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for task in running.values { await task.value }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await group.next() ?? false
            if !first {
                // Cancelled runs end promptly and record themselves as cancelled, which lets
                // the first child finish too.
                for task in running.values { task.cancel() }
            }
            group.cancelAll()
            return first
        }
        if !drained {
            logger.warning("cancelled the runs still running after the grace period", metadata: ["runs": "\(running.count)"])
        }
    }

    /// How many runs execute in this process now.
    public var activeCount: Int { tasks.count }

    private func finished(_ runID: Int64) {
        tasks[runID] = nil
    }

    static func hasEnded(_ runID: Int64, store: SQLStore) async throws -> Bool {
        guard let run = try await store.run(id: runID) else { throw APIError.notFound("run \(runID) does not exist") }
        return run.status != .running && run.status != .queued
    }
}
