import Foundation
import WorkFlowEngine

/// What started a run.
public enum RunTrigger: String, Sendable, Hashable, CaseIterable {
    case cli, api, ui, schedule, webhook
}

/// A run's row: what ran, why, and how it went. Steps are read with ``RunStore/steps(runID:)``.
public struct StoredRun: Sendable, Hashable {
    /// Run ids are integers that increase with every run.
    public var id: Int64
    public var flowName: String
    /// The workflow version that ran; `nil` for a workflow run from a file.
    public var flowVersion: Int?
    public var trigger: RunTrigger
    public var triggeredBy: String?
    public var inputs: JSONObject
    public var status: RunStatus
    public var createdAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationMs: Int?
    public var error: String?
    /// The node that ran (or runs) it.
    public var node: String?

    public init(
        id: Int64, flowName: String, flowVersion: Int?, trigger: RunTrigger, triggeredBy: String?, inputs: JSONObject,
        status: RunStatus, createdAt: Date, startedAt: Date?, endedAt: Date?, durationMs: Int?, error: String?, node: String?
    ) {
        self.id = id
        self.flowName = flowName
        self.flowVersion = flowVersion
        self.trigger = trigger
        self.triggeredBy = triggeredBy
        self.inputs = inputs
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.error = error
        self.node = node
    }
}

/// Which runs ``RunStore/listRuns(_:)`` returns, newest first.
public struct RunQuery: Sendable, Hashable {
    /// Runs of the workflow now called this (across its renames), and runs recorded under this
    /// name that belong to no stored workflow (`run --file`).
    public var flowName: String?
    public var status: RunStatus?
    public var trigger: RunTrigger?
    /// Runs created at or after this time.
    public var createdFrom: Date?
    /// Runs created before this time.
    public var createdBefore: Date?
    /// Part of the workflow name, of who or what started the run, or of the error, matched
    /// case-insensitively (ASCII letters on SQLite); a number also matches the run with that id.
    public var text: String?
    public var limit: Int
    public var offset: Int

    public init(
        flowName: String? = nil, status: RunStatus? = nil, trigger: RunTrigger? = nil, createdFrom: Date? = nil,
        createdBefore: Date? = nil, text: String? = nil, limit: Int = 100, offset: Int = 0
    ) {
        self.flowName = flowName
        self.status = status
        self.trigger = trigger
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
        self.text = text
        self.limit = limit
        self.offset = offset
    }
}

/// Runs and their steps, written as they happen so that a crash leaves the truth.
public protocol RunStore: Sendable {
    func createRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, status: RunStatus, node: String?
    ) async throws(StoreError) -> StoredRun
    func markRunStarted(runID: Int64, startedAt: Date, steps: [StepRecord]) async throws(StoreError)
    func recordStepStarted(runID: Int64, step: StepRecord) async throws(StoreError)
    func recordStepFinished(runID: Int64, step: StepRecord) async throws(StoreError)
    func finishRun(runID: Int64, result: RunResult) async throws(StoreError)
    func finishRun(runID: Int64, result: RunResult, writingSteps steps: [StepRecord]) async throws(StoreError)
    func recordProgress(runID: Int64, startedAt: Date?, steps: [StepRecord], claimedBy: String?) async throws(StoreError) -> Bool
    func run(id: Int64) async throws(StoreError) -> StoredRun?
    func runDocument(id: Int64) async throws(StoreError) -> JSONObject?
    func steps(runID: Int64) async throws(StoreError) -> [StepRecord]
    func listRuns(_ query: RunQuery) async throws(StoreError) -> [StoredRun]
    func closeInterruptedRuns(node: String?, now: Date) async throws(StoreError) -> Int
}

/// The error closed runs and steps carry when their process died.
public enum InterruptedRun {
    public static let error = "interrupted: the process stopped"
    public static let skippedStepError = "not run: the process stopped"
}
