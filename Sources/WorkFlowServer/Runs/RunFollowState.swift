import Foundation
import WorkFlowEngine
import WorkFlowStore

/// One event of a run's live stream (`GET /api/v1/runs/<id>/events`), with its JSON data.
struct RunStreamEvent: Sendable, Equatable {
    enum Kind: String, Sendable {
        case snapshot
        case runStarted = "run_started"
        case stepStarted = "step_started"
        case log
        case stepFinished = "step_finished"
        case runFinished = "run_finished"
    }

    var kind: Kind
    var data: JSONValue
}

/// What a subscriber of a run has been told so far, and what each newly seen change adds.
///
/// Changes arrive from two sources — the event hub, for runs executing in this process, and polls
/// of the store, for runs executing on any node — and often from both for the same change. This
/// state decides what is new, so that each change is told once and in an order that reads
/// right: a step starts before it logs and finishes, and the run finishes last. It does no IO.
struct RunFollowState: Sendable {
    private var runStarted = false
    /// The last status told for each step, by name.
    private var told: [String: StepStatus] = [:]
    /// Whether `run_finished` has been told; nothing follows it.
    private(set) var finished = false

    /// The first event: the run with its steps as they are now. A run that has already ended
    /// gets its `run_finished` right after.
    mutating func snapshot(run: StoredRun, steps: [StepRecord]) -> [RunStreamEvent] {
        runStarted = run.status != .queued
        for step in steps { told[step.name] = step.status }
        var events = [RunStreamEvent(kind: .snapshot, data: Presentation.json(run, steps: steps))]
        if Self.hasEnded(run) {
            events.append(RunStreamEvent(kind: .runFinished, data: Presentation.json(run)))
            finished = true
        }
        return events
    }

    /// The executor reported the run's start.
    mutating func runStarted(runID: Int64, at date: Date) -> [RunStreamEvent] {
        guard !finished, !runStarted else { return [] }
        runStarted = true
        return [RunStreamEvent(kind: .runStarted, data: ["run_id": .int(Int(runID)), "started_at": .string(Presentation.timestamp(date))])]
    }

    /// A step's record as the hub or the store has it now: `step_started` when it is newly
    /// running; its log lines and `step_finished` when it newly reached a final status (with a
    /// `step_started` first if its start was never told).
    mutating func step(_ record: StepRecord) -> [RunStreamEvent] {
        let previous = told[record.name] ?? .pending
        guard !finished, !previous.isFinal else { return [] }
        var events: [RunStreamEvent] = []
        switch record.status {
        case .pending:
            return []
        case .running:
            if previous == .pending { events.append(Self.started(record)) }
        case .success, .failed, .skipped, .cancelled:
            if previous == .pending, record.startedAt != nil { events.append(Self.started(record)) }
            events += record.logs.map { line in
                var object: JSONObject = ["step": .string(record.name)]
                if case .object(let fields) = Presentation.json(line) { object.merge(fields) { _, new in new } }
                return RunStreamEvent(kind: .log, data: .object(object))
            }
            events.append(RunStreamEvent(kind: .stepFinished, data: Presentation.detailedStep(record)))
        }
        told[record.name] = record.status
        return events
    }

    /// The run and its steps as the store has them now: whatever changed, and `run_finished`
    /// when the run has ended.
    mutating func polled(run: StoredRun, steps: [StepRecord]) -> [RunStreamEvent] {
        guard !finished else { return [] }
        var events: [RunStreamEvent] = []
        if run.status != .queued, let startedAt = run.startedAt {
            events += runStarted(runID: run.id, at: startedAt)
        }
        for record in steps { events += step(record) }
        if Self.hasEnded(run) {
            events.append(RunStreamEvent(kind: .runFinished, data: Presentation.json(run)))
            finished = true
        }
        return events
    }

    static func hasEnded(_ run: StoredRun) -> Bool {
        run.status != .queued && run.status != .running
    }

    /// `step_started` shows the step as it was when it started, even when told late.
    private static func started(_ record: StepRecord) -> RunStreamEvent {
        var start = record
        start.status = .running
        start.endedAt = nil
        start.durationMs = nil
        start.result = nil
        start.error = nil
        start.logs = []
        return RunStreamEvent(kind: .stepStarted, data: Presentation.detailedStep(start))
    }
}
