import Foundation
import WorkFlowEngine
import WorkFlowStore

/// The seed API's shapes: its rows as Flask serialised them.
enum SeedPresentation {
    /// A `wf_flow` row: the document as a JSON string, booleans as 0/1, times in RFC 1123.
    static func flow(_ flow: StoredFlow) -> JSONValue {
        [
            "id": .int(Int(flow.id)),
            "flow_name": .string(flow.name),
            "flow_procedures": .string(JSONWriter.string(from: .object(flow.document))),
            "enabled": .int(flow.enabled ? 1 : 0),
            "deleted": .int(flow.deleted ? 1 : 0),
            "created_at": .string(rfc1123(flow.createdAt)),
            "updated_at": .string(rfc1123(flow.updatedAt)),
        ]
    }

    /// A `wf_run_history` row.
    static func run(_ run: StoredRun) -> JSONObject {
        [
            "id": .int(Int(run.id)),
            "flow_name": .string(run.flowName),
            "status": .string(run.status.rawValue),
            "trigger_by": run.triggeredBy.map(JSONValue.string) ?? .null,
            "start_time": .string(pythonTime(run.startedAt ?? run.createdAt)),
            "end_time": run.endedAt.map { .string(pythonTime($0)) } ?? .null,
            "duration_ms": run.durationMs.map(JSONValue.int) ?? .null,
            "error_msg": run.error.map(JSONValue.string) ?? .null,
        ]
    }

    /// A `wf_run_step` row; the step's id is its run and position.
    static func step(_ step: StepRecord, runID: Int64) -> JSONValue {
        [
            "id": .int(Int(runID) * 10_000 + step.order),
            "run_id": .int(Int(runID)),
            "step_name": .string(step.name),
            "step_order": .int(step.order),
            "status": .string(step.status.rawValue),
            "start_time": step.startedAt.map { .string(pythonTime($0)) } ?? .null,
            "end_time": step.endedAt.map { .string(pythonTime($0)) } ?? .null,
            "duration_ms": step.durationMs.map(JSONValue.int) ?? .null,
            "result_data": step.result ?? .null,
            "error_msg": step.error.map(JSONValue.string) ?? .null,
        ]
    }

    /// The seed's run answer's `data`: every successful step's result by name, and `var`.
    static func context(steps: [StepRecord], document: JSONObject?) -> JSONObject {
        var context: JSONObject = [:]
        for step in steps where step.status == .success {
            context[step.name] = step.result ?? .null
        }
        if case .object(let variables)? = document?["variables"], !variables.isEmpty {
            context["var"] = .object(variables)
        }
        return context
    }

    /// `Wed, 25 Feb 2026 10:00:00 GMT`.
    static func rfc1123(_ date: Date) -> String {
        UTCText.rfc1123(date)
    }

    /// Python's `str(datetime)`: `2026-02-25 10:00:00.123000` (UTC).
    static func pythonTime(_ date: Date) -> String {
        UTCText.python(date)
    }
}
