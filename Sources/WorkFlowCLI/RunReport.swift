import Foundation
import WorkFlowEngine
import WorkFlowServer

/// The one JSON document `workflow run --json` prints.
enum RunReport {
    static func json(for result: RunResult) -> JSONValue {
        [
            "run_id": result.runID.map { .int(Int($0)) } ?? .null,
            "status": .string(result.status.rawValue),
            "duration_ms": .int(result.durationMs),
            "error": result.error.map(JSONValue.string) ?? .null,
            "steps": .array(result.steps.map { Presentation.step($0) }),
            "errors": [],
        ]
    }

    static func json(invalid issues: [ValidationIssue]) -> JSONValue {
        [
            "status": "invalid",
            "duration_ms": 0,
            "error": .string(issues.count == 1 ? "the workflow has 1 problem" : "the workflow has \(issues.count) problems"),
            "steps": [],
            "errors": .array(issues.map { ["path": .string($0.path), "message": .string($0.message)] }),
        ]
    }
}
