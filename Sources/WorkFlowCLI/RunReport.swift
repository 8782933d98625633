import Foundation
import WorkFlowEngine

/// The one JSON document `workflow run --json` prints.
enum RunReport {
    static func json(for result: RunResult) -> JSONValue {
        [
            "run_id": result.runID.map { .int(Int($0)) } ?? .null,
            "status": .string(result.status.rawValue),
            "duration_ms": .int(result.durationMs),
            "error": result.error.map(JSONValue.string) ?? .null,
            "steps": .array(result.steps.map(step)),
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

    static func step(_ record: StepRecord) -> JSONValue {
        [
            "name": .string(record.name),
            "status": .string(record.status.rawValue),
            "result": record.result ?? .null,
            "error": record.error.map(JSONValue.string) ?? .null,
            "duration_ms": record.durationMs.map(JSONValue.int) ?? .null,
            "attempts": .int(record.attempts),
            "started_at": record.startedAt.map { .string(timestamp($0)) } ?? .null,
            "ended_at": record.endedAt.map { .string(timestamp($0)) } ?? .null,
        ]
    }

    /// UTC with milliseconds: `2026-11-28T03:04:05.678Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
