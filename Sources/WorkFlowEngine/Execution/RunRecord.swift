import Foundation
import OrderedCollections

/// A step's state in a run.
public enum StepStatus: String, Sendable, Hashable, CaseIterable {
    case pending, running, success, failed, skipped, cancelled

    /// Whether the step will not change any more.
    public var isFinal: Bool {
        switch self {
        case .pending, .running: false
        default: true
        }
    }
}

/// A run's state.
public enum RunStatus: String, Sendable, Hashable, CaseIterable {
    case queued, running, success, failed, cancelled
}

/// Everything recorded about one step of a run.
public struct StepRecord: Sendable, Equatable {
    public var name: String
    /// The step's position in the workflow (0-based).
    public var order: Int
    public var module: String
    public var method: String
    /// Parameters after references were resolved, with secrets masked.
    public var params: JSONValue
    public var status: StepStatus
    public var attempts: Int
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationMs: Int?
    public var result: JSONValue?
    public var error: String?
    /// The lines the step's module logged.
    public var logs: [StepLogLine]

    public init(
        name: String, order: Int, module: String, method: String, params: JSONValue = .object([:]),
        status: StepStatus = .pending, attempts: Int = 0, startedAt: Date? = nil, endedAt: Date? = nil,
        durationMs: Int? = nil, result: JSONValue? = nil, error: String? = nil, logs: [StepLogLine] = []
    ) {
        self.name = name
        self.order = order
        self.module = module
        self.method = method
        self.params = params
        self.status = status
        self.attempts = attempts
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.result = result
        self.error = error
        self.logs = logs
    }
}

/// How a run ended.
public struct RunResult: Sendable, Equatable {
    public var runID: Int64?
    public var status: RunStatus
    public var startedAt: Date
    public var endedAt: Date
    public var durationMs: Int
    /// One record per step, in workflow order.
    public var steps: [StepRecord]
    /// Why the run failed or was cancelled.
    public var error: String?
    /// The results of successful steps by name, and `var` (the run's variables), like the seed's run context.
    /// Secrets are masked as in the step records.
    public var context: JSONObject

    public init(
        runID: Int64?, status: RunStatus, startedAt: Date, endedAt: Date, durationMs: Int, steps: [StepRecord],
        error: String?, context: JSONObject
    ) {
        self.runID = runID
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.steps = steps
        self.error = error
        self.context = context
    }
}

/// What the executor reports while a run progresses.
public enum RunEvent: Sendable, Equatable {
    /// The run started; `steps` holds a pending record for every step.
    case runStarted(runID: Int64?, startedAt: Date, steps: [StepRecord])
    /// A step started (status `running`).
    case stepStarted(StepRecord)
    /// A step reached a final status.
    case stepFinished(StepRecord)
    /// The run ended.
    case runFinished(RunResult)
}

/// Receives a run's events in order, one at a time. Stores write them; the CLI prints them.
public protocol RunRecorder: Sendable {
    func record(_ event: RunEvent) async
}

/// A recorder that ignores everything.
public struct DiscardingRecorder: RunRecorder {
    public init() {}
    public func record(_ event: RunEvent) async {}
}

/// A recorder that keeps every event in memory (tests, previews).
public actor InMemoryRecorder: RunRecorder {
    public private(set) var events: [RunEvent] = []

    public init() {}

    public func record(_ event: RunEvent) async {
        events.append(event)
    }
}

/// Hands each event to several recorders in turn (the store, a progress printer, live subscribers).
public struct FanOutRecorder: RunRecorder {
    public let recorders: [any RunRecorder]

    public init(_ recorders: [any RunRecorder]) {
        self.recorders = recorders
    }

    public func record(_ event: RunEvent) async {
        for recorder in recorders { await recorder.record(event) }
    }
}
