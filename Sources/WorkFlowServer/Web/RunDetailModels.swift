import Foundation
import WorkFlowEngine
import WorkFlowStore

/// A run's page: its facts, its graph and steps, the selected step, and the workflow's other runs.
struct RunDetailPage: Page {
    static let template = "run"
    var frame: PageFrame
    var run: RunFacts
    var steps: [StepRow]
    var selected: StepDetail?
    /// The graph and step states for the page's script.
    var graphJSON: String
    var canCancel: Bool
    var canRerun: Bool
    var canResume: Bool
    var recent: [RunRow]
}

/// What is known about a run, worded for the page.
struct RunFacts: Sendable {
    var id: Int64
    var flowName: String
    var flowPath: String
    var version: String
    var status: String
    var trigger: String
    var triggeredBy: String
    var created: String
    var started: String
    var ended: String
    var duration: String
    var error: String?
    var inputs: String?
    var eventsURL: String
    var path: String

    static func make(_ run: StoredRun, time: DisplayTime) -> RunFacts {
        RunFacts(
            id: run.id, flowName: run.flowName, flowPath: WorkflowRow.pathSegment(run.flowName),
            version: run.flowVersion.map { "v\($0)" } ?? "from a file", status: run.status.rawValue, trigger: run.trigger.rawValue,
            triggeredBy: run.triggeredBy ?? "–", created: time.text(run.createdAt), started: run.startedAt.map(time.text) ?? "–",
            ended: run.endedAt.map(time.text) ?? "–", duration: run.durationMs.map { DisplayTime.duration(milliseconds: $0) } ?? "–",
            error: run.error, inputs: run.inputs.isEmpty ? nil : JSONWriter.prettyString(from: .object(run.inputs)),
            eventsURL: "/api/v1/runs/\(run.id)/events", path: RunPages.path(run))
    }
}

/// The workflow as it ran: its steps in list order with the edges between them (`depends_on`, or
/// the previous step when a step does not say) and the editor's saved positions.
struct RunGraph {
    struct Node {
        var name: String
        var module: String
        var method: String
        var dependsOn: [String]
    }

    var rows: [Node]
    var positions: JSONValue

    static func make(document: JSONObject, steps: [StepRecord]) -> RunGraph {
        let workflow = Workflow(document: .object(document))
        var rows = workflow.procedures.enumerated().map { index, step in
            Node(
                name: step.name, module: step.mod, method: step.method,
                dependsOn: step.dependsOn ?? (index > 0 ? [workflow.procedures[index - 1].name] : []))
        }
        // Steps recorded but not in the document (it could not be read) still show.
        for step in steps where !rows.contains(where: { $0.name == step.name }) {
            rows.append(Node(name: step.name, module: step.module, method: step.method, dependsOn: []))
        }
        return RunGraph(rows: rows, positions: document["_positions"] ?? .object([:]))
    }

    func json(runID: Int64, timeZone: TimeZone) -> JSONValue {
        [
            "run_id": .int(Int(runID)),
            "time_zone": .string(timeZone.identifier),
            "nodes": .array(rows.map { ["id": .string($0.name), "title": .string($0.name), "subtitle": .string("\($0.module) · \($0.method)")] }),
            "edges": .array(rows.flatMap { row in row.dependsOn.map { ["from": .string($0), "to": .string(row.name)] } }),
            "positions": positions,
        ]
    }
}

/// A row of the step table.
struct StepRow: Sendable {
    var name: String
    var module: String
    var status: String
    var attempts: String
    var duration: String
    var started: String
    var href: String

    static func make(_ node: RunGraph.Node, record: StepRecord?, runPath: String, time: DisplayTime) -> StepRow {
        StepRow(
            name: node.name, module: "\(node.module).\(node.method)", status: record?.status.rawValue ?? "pending",
            attempts: record.map { $0.attempts > 0 ? String($0.attempts) : "–" } ?? "–",
            duration: record?.durationMs.map { DisplayTime.duration(milliseconds: $0) } ?? "–",
            started: record?.startedAt.map(time.text) ?? "",
            href: runPath + "?step=" + (node.name.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? node.name))
    }
}

/// The selected step in full: resolved parameters, result, log lines and error.
struct StepDetail: Sendable {
    var name: String
    var status: String
    var params: String
    var result: String?
    var error: String?
    var logs: [Line]

    struct Line: Sendable {
        var time: String
        var level: String
        var message: String
    }

    static func make(_ record: StepRecord, time: DisplayTime) -> StepDetail {
        StepDetail(
            name: record.name, status: record.status.rawValue, params: JSONWriter.prettyString(from: record.params),
            result: record.result.map { JSONWriter.prettyString(from: $0) }, error: record.error,
            logs: record.logs.map { Line(time: time.text($0.time), level: $0.level.rawValue, message: $0.message) })
    }
}
