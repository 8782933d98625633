import Foundation
import WorkFlowEngine

/// A run a worker claimed: everything it needs to execute the run, and its lease.
public struct ClaimedRun: Sendable, Equatable {
    public var runID: Int64
    /// The workflow's name when the run was enqueued.
    public var flowName: String
    /// The workflow version the snapshot is; `nil` for a workflow enqueued from a file.
    public var flowVersion: Int?
    /// The workflow document taken at enqueue time; the run executes exactly this.
    public var document: JSONObject
    public var inputs: JSONObject
    public var trigger: RunTrigger
    public var triggeredBy: String?
    /// 1 for the first claim; one more for each interrupted attempt that was retried.
    public var attempt: Int
    /// When the run was stamped running by this claim.
    public var startedAt: Date
    /// The worker must renew the lease (``RunQueue/renewLeases(node:runIDs:until:)``) before this.
    public var leaseExpiresAt: Date
    /// For a run that resumes an earlier one, the steps it takes as done (queued with it); empty
    /// for a new run.
    public var reusedSteps: [StepRecord]

    public init(
        runID: Int64, flowName: String, flowVersion: Int?, document: JSONObject, inputs: JSONObject, trigger: RunTrigger,
        triggeredBy: String?, attempt: Int, startedAt: Date, leaseExpiresAt: Date, reusedSteps: [StepRecord] = []
    ) {
        self.runID = runID
        self.flowName = flowName
        self.flowVersion = flowVersion
        self.document = document
        self.inputs = inputs
        self.trigger = trigger
        self.triggeredBy = triggeredBy
        self.attempt = attempt
        self.startedAt = startedAt
        self.leaseExpiresAt = leaseExpiresAt
        self.reusedSteps = reusedSteps
    }
}

/// The outcome of a heartbeat: which of the worker's runs it still holds.
public struct LeaseRenewal: Sendable, Hashable {
    /// Runs whose lease now ends at the requested time.
    public var held: [Int64]
    /// Runs the worker no longer holds (reaped, cancelled while queued, finished, or never its
    /// own): the worker must stop executing them and must not record their end.
    public var lost: [Int64]

    public init(held: [Int64], lost: [Int64]) {
        self.held = held
        self.lost = lost
    }
}

/// What ``RunQueue/cancelRun(id:reason:now:)`` did.
public enum RunCancellation: Sendable, Hashable {
    /// The run was still waiting: it is now `cancelled`, out of the queue, and never starts.
    case cancelled
    /// The run is running: the request is recorded and its worker, which polls
    /// ``RunQueue/cancelRequested(runIDs:)``, cancels it.
    case requested
    /// The run had already ended with this status; nothing changed.
    case alreadyEnded(RunStatus)
}

/// What one pass of the lease reaper did, by run id (ascending).
public struct ReapedRuns: Sendable, Hashable {
    /// Closed as `failed` with ``InterruptedRun/error`` (policy `fail`, or attempts used up).
    public var failed: [Int64]
    /// Back in the queue to start again (policy `retry`).
    public var requeued: [Int64]
    /// Closed as `cancelled`: a cancel had been requested before the worker stopped.
    public var cancelled: [Int64]

    public init(failed: [Int64] = [], requeued: [Int64] = [], cancelled: [Int64] = []) {
        self.failed = failed
        self.requeued = requeued
        self.cancelled = cancelled
    }

    /// How many runs the pass handled.
    public var count: Int { failed.count + requeued.count + cancelled.count }
}

/// The queue's size, for metrics.
public struct QueueDepth: Sendable, Hashable {
    /// Runs waiting for a worker.
    public var queued: Int
    /// Runs held by a worker under a lease.
    public var claimed: Int
    /// Waiting runs per workflow name (as enqueued); workflows with none are absent.
    public var queuedByFlow: [String: Int]

    public init(queued: Int, claimed: Int, queuedByFlow: [String: Int]) {
        self.queued = queued
        self.claimed = claimed
        self.queuedByFlow = queuedByFlow
    }
}

/// The durable run queue shared by every worker on every node.
///
/// A run enters as `queued` with a queue entry, written in one transaction. A worker claims it,
/// which marks it `running` under a lease the worker renews while it executes; the run's end
/// (``RunStore/finishRun(runID:result:)`` or ``finishClaimedRun(runID:node:result:writingSteps:)``)
/// removes the entry. When a worker dies, its leases expire and the reaper fails or requeues
/// the run as its workflow's ``InterruptPolicy`` says. So no run is lost or left running.
///
/// `node` names one worker process; it must be unique among live processes (host, pid and a
/// start time or random part), because leases are held by node name.
public protocol RunQueue: Sendable {
    /// Writes a `queued` run (the snapshot `document` of `flowVersion`) and its queue entry in
    /// one transaction. Higher `priority` is claimed first; equal priorities in enqueue order.
    func enqueueRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, priority: Int, now: Date
    ) async throws(StoreError) -> StoredRun

    /// Claims up to `limit` waiting runs for `node`, in queue order, skipping workflows already
    /// at their `maxConcurrentRuns`; marks them `running` with a lease until `now + leaseDuration`.
    /// No run is ever claimed twice, however many claimers race. Fewer than `limit` runs does
    /// not mean the queue is empty (a workflow's limit or another claimer may hold some back).
    func claimRuns(node: String, limit: Int, leaseDuration: Duration, now: Date) async throws(StoreError) -> [ClaimedRun]

    /// Extends the leases `node` still holds on `runIDs` until `until`; reports the runs it lost.
    func renewLeases(node: String, runIDs: [Int64], until: Date) async throws(StoreError) -> LeaseRenewal

    /// Records how a claimed run ended, with the step rows in `steps`, and removes its queue
    /// entry, in one transaction, but only while `node` still holds it: returns `false`, writing
    /// nothing, when the lease was lost.
    func finishClaimedRun(runID: Int64, node: String, result: RunResult, writingSteps steps: [StepRecord]) async throws(StoreError) -> Bool

    /// Cancels a waiting run at once, or asks the worker of a running run to cancel it.
    func cancelRun(id: Int64, reason: String?, now: Date) async throws(StoreError) -> RunCancellation

    /// Which of `runIDs` have a cancel request pending (the worker's poll).
    func cancelRequested(runIDs: [Int64]) async throws(StoreError) -> Set<Int64>

    /// Handles every run whose lease expired before `now`: cancelled if a cancel was requested,
    /// otherwise failed (``InterruptPolicy/fail``) or requeued with its step rows cleared
    /// (``InterruptPolicy/retry``) until `maximumAttempts` claims were used, then failed.
    func reapExpiredLeases(now: Date, maximumAttempts: Int) async throws(StoreError) -> ReapedRuns

    /// How many runs wait and are held, for metrics.
    func queueDepth() async throws(StoreError) -> QueueDepth
}

/// The queue's defaults.
public enum RunQueueDefaults {
    /// How many claims a run under ``InterruptPolicy/retry`` gets before an interruption fails it.
    public static let maximumAttempts = 3
}

extension RunQueue {
    /// Enqueues with the default priority 0.
    public func enqueueRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, now: Date
    ) async throws(StoreError) -> StoredRun {
        try await enqueueRun(
            flowName: flowName, flowVersion: flowVersion, document: document, trigger: trigger, triggeredBy: triggeredBy,
            inputs: inputs, priority: 0, now: now)
    }

    /// Reaps with ``RunQueueDefaults/maximumAttempts``.
    public func reapExpiredLeases(now: Date) async throws(StoreError) -> ReapedRuns {
        try await reapExpiredLeases(now: now, maximumAttempts: RunQueueDefaults.maximumAttempts)
    }
}

extension InterruptedRun {
    /// The error of a retried run whose last allowed attempt was interrupted too.
    public static func attemptsExhaustedError(attempts: Int) -> String {
        "\(error) (attempt \(attempts) of \(attempts); no retries left)"
    }
}
