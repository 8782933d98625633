import Foundation
import WorkFlowEngine
import WorkFlowStore

/// How stored runs look in `--json` output.
enum RunPresentation {
    static func json(_ run: StoredRun) -> JSONValue {
        [
            "run_id": .int(Int(run.id)),
            "flow_name": .string(run.flowName),
            "flow_version": run.flowVersion.map { .int($0) } ?? .null,
            "trigger": .string(run.trigger.rawValue),
            "trigger_by": run.triggeredBy.map(JSONValue.string) ?? .null,
            "status": .string(run.status.rawValue),
            "inputs": .object(run.inputs),
            "created_at": .string(RunReport.timestamp(run.createdAt)),
            "started_at": run.startedAt.map { .string(RunReport.timestamp($0)) } ?? .null,
            "ended_at": run.endedAt.map { .string(RunReport.timestamp($0)) } ?? .null,
            "duration_ms": run.durationMs.map { .int($0) } ?? .null,
            "error": run.error.map(JSONValue.string) ?? .null,
        ]
    }

    static func json(_ run: StoredRun, steps: [StepRecord]) -> JSONValue {
        guard case .object(var object) = json(run) else { return json(run) }
        object["steps"] = .array(
            steps.map { step in
                guard case .object(var s) = RunReport.step(step) else { return RunReport.step(step) }
                s["order"] = .int(step.order)
                s["module"] = .string("\(step.module).\(step.method)")
                s["params"] = step.params
                s["logs"] = .array(
                    step.logs.map { ["time": .string(RunReport.timestamp($0.time)), "level": .string($0.level.rawValue), "message": .string($0.message)] })
                return .object(s)
            })
        return .object(object)
    }
}
