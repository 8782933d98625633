import Foundation
import WorkFlowEngine

/// What live subscribers of a run hear.
public enum LiveRunEvent: Sendable, Equatable {
    case runStarted(runID: Int64, startedAt: Date)
    case stepStarted(StepRecord)
    case stepFinished(StepRecord)
    case runFinished(RunResult)

    /// The Server-Sent Events name.
    public var name: String {
        switch self {
        case .runStarted: "run_started"
        case .stepStarted: "step_started"
        case .stepFinished: "step_finished"
        case .runFinished: "run_finished"
        }
    }
}

/// Fans the events of runs executing in this process out to whoever listens: requests that wait
/// for a run to end, and live views. Each subscriber gets its own buffered stream, so a slow
/// listener never holds up a run. A run's streams end after its `runFinished`.
public actor RunEventHub {
    private var subscribers: [Int64: [UUID: AsyncStream<LiveRunEvent>.Continuation]] = [:]

    public init() {}

    /// A stream of the run's events from now on. It ends when the run finishes or the caller
    /// stops listening (task cancelled).
    public func subscribe(runID: Int64) -> AsyncStream<LiveRunEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<LiveRunEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        continuation.onTermination = { [weak self] _ in
            Task { await self?.remove(runID: runID, id: id) }
        }
        subscribers[runID, default: [:]][id] = continuation
        return stream
    }

    public func publish(runID: Int64, _ event: LiveRunEvent) {
        guard let listeners = subscribers[runID] else { return }
        for continuation in listeners.values { continuation.yield(event) }
        if case .runFinished = event {
            subscribers[runID] = nil
            for continuation in listeners.values { continuation.finish() }
        }
    }

    /// How many streams are open (for tests and metrics).
    public var subscriberCount: Int { subscribers.values.reduce(0) { $0 + $1.count } }

    private func remove(runID: Int64, id: UUID) {
        subscribers[runID]?[id] = nil
        if subscribers[runID]?.isEmpty == true { subscribers[runID] = nil }
    }
}

/// Passes a run's events to the hub.
struct HubRecorder: RunRecorder {
    let hub: RunEventHub
    let runID: Int64

    func record(_ event: RunEvent) async {
        let live: LiveRunEvent =
            switch event {
            case .runStarted(_, let startedAt, _): .runStarted(runID: runID, startedAt: startedAt)
            case .stepStarted(let step): .stepStarted(step)
            case .stepFinished(let step): .stepFinished(step)
            case .runFinished(let result): .runFinished(result)
            }
        await hub.publish(runID: runID, live)
    }
}
