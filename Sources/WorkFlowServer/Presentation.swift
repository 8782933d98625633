import Foundation
import WorkFlowEngine
import WorkFlowStore

/// How workflows, versions, runs, steps, modules and log lines look as JSON — in API v1's
/// answers and in the command line's `--json` output alike. Times are UTC ISO 8601 with
/// milliseconds.
public enum Presentation {
    /// `2026-11-28T03:04:05.678Z`.
    public static func timestamp(_ date: Date) -> String {
        UTCText.iso8601(date)
    }

    public static func timestamp(_ date: Date?) -> JSONValue {
        date.map { .string(timestamp($0)) } ?? .null
    }

    public static func json(_ flow: StoredFlow, document: Bool = true) -> JSONValue {
        var object: JSONObject = [
            "name": .string(flow.name),
            "enabled": .bool(flow.enabled),
            "deleted": .bool(flow.deleted),
            "version": .int(flow.currentVersion),
            "max_concurrent_runs": flow.runSettings.maxConcurrentRuns.map { .int($0) } ?? .null,
            "on_interrupt": .string(flow.runSettings.onInterrupt.rawValue),
            "created_at": .string(timestamp(flow.createdAt)),
            "updated_at": .string(timestamp(flow.updatedAt)),
        ]
        if document { object["document"] = .object(flow.document) }
        return .object(object)
    }

    public static func json(_ version: FlowVersion, document: Bool = true) -> JSONValue {
        var object: JSONObject = [
            "name": .string(version.flowName),
            "version": .int(version.number),
            "author": version.author.map(JSONValue.string) ?? .null,
            "comment": version.comment.map(JSONValue.string) ?? .null,
            "created_at": .string(timestamp(version.createdAt)),
        ]
        if document { object["document"] = .object(version.document) }
        return .object(object)
    }

    public static func json(_ run: StoredRun) -> JSONValue {
        [
            "run_id": .int(Int(run.id)),
            "flow_name": .string(run.flowName),
            "flow_version": run.flowVersion.map { .int($0) } ?? .null,
            "trigger": .string(run.trigger.rawValue),
            "trigger_by": run.triggeredBy.map(JSONValue.string) ?? .null,
            "status": .string(run.status.rawValue),
            "inputs": .object(run.inputs),
            "created_at": .string(timestamp(run.createdAt)),
            "started_at": timestamp(run.startedAt),
            "ended_at": timestamp(run.endedAt),
            "duration_ms": run.durationMs.map { .int($0) } ?? .null,
            "error": run.error.map(JSONValue.string) ?? .null,
        ]
    }

    /// A run with every step, its parameters and its log lines.
    public static func json(_ run: StoredRun, steps: [StepRecord]) -> JSONValue {
        guard case .object(var object) = json(run) else { return json(run) }
        object["steps"] = .array(steps.map(detailedStep))
        return .object(object)
    }

    /// One step as API v1 shows it in a run's detail: its outcome plus order, module, parameters
    /// and log lines.
    public static func detailedStep(_ record: StepRecord) -> JSONValue {
        guard case .object(var object) = step(record) else { return step(record) }
        object["order"] = .int(record.order)
        object["module"] = .string("\(record.module).\(record.method)")
        object["params"] = record.params
        object["logs"] = .array(record.logs.map(json))
        return .object(object)
    }

    /// One line a step logged.
    public static func json(_ line: StepLogLine) -> JSONValue {
        ["time": .string(timestamp(line.time)), "level": .string(line.level.rawValue), "message": .string(line.message)]
    }

    /// One step's outcome.
    public static func step(_ record: StepRecord) -> JSONValue {
        [
            "name": .string(record.name),
            "status": .string(record.status.rawValue),
            "result": record.result ?? .null,
            "error": record.error.map(JSONValue.string) ?? .null,
            "duration_ms": record.durationMs.map(JSONValue.int) ?? .null,
            "attempts": .int(record.attempts),
            "started_at": timestamp(record.startedAt),
            "ended_at": timestamp(record.endedAt),
        ]
    }

    /// A module's descriptor: its methods and their parameters.
    public static func json(_ descriptor: ModuleDescriptor) -> JSONValue {
        [
            "name": .string(descriptor.name),
            "doc": .string(descriptor.doc),
            "methods": .array(
                descriptor.methods.map { method in
                    [
                        "name": .string(method.name),
                        "doc": .string(method.doc),
                        "params": .array(
                            method.parameters.map { parameter in
                                [
                                    "name": .string(parameter.name),
                                    "type": .string(parameter.typeDescription),
                                    "required": .bool(parameter.required),
                                    "default": parameter.defaultValue ?? .null,
                                    "doc": .string(parameter.doc),
                                ]
                            }),
                        "result": .string(method.result),
                    ]
                }),
        ]
    }

    public static func json(_ entry: LogEntry) -> JSONValue {
        [
            "id": entry.id.map { .int(Int($0)) } ?? .null,
            "time": .string(timestamp(entry.time)),
            "level": .string(entry.level.rawValue),
            "logger": .string(entry.logger),
            "message": .string(entry.message),
            "run_id": entry.runID.map { .int(Int($0)) } ?? .null,
            "step_name": entry.stepName.map(JSONValue.string) ?? .null,
        ]
    }

    public static func json(_ entry: AuditEntry) -> JSONValue {
        [
            "id": entry.id.map { .int(Int($0)) } ?? .null,
            "time": .string(timestamp(entry.time)),
            "actor": .string(entry.actor),
            "action": .string(entry.action),
            "target_type": .string(entry.targetType),
            "target_name": entry.targetName.map(JSONValue.string) ?? .null,
            "client_ip": entry.clientIP.map(JSONValue.string) ?? .null,
            "detail": entry.detail,
        ]
    }

    public static func json(_ user: StoredUser) -> JSONValue {
        [
            "username": .string(user.username),
            "display_name": user.displayName.map(JSONValue.string) ?? .null,
            "email": user.email.map(JSONValue.string) ?? .null,
            "is_admin": .bool(user.isAdmin),
            "enabled": .bool(user.enabled),
            "created_at": .string(timestamp(user.createdAt)),
            "last_login_at": timestamp(user.lastLoginAt),
        ]
    }

    public static func json(_ key: StoredAPIKey) -> JSONValue {
        [
            "name": .string(key.name),
            "prefix": .string(key.prefix),
            "user": .string(key.username),
            "enabled": .bool(key.enabled),
            "created_at": .string(timestamp(key.createdAt)),
            "last_used_at": timestamp(key.lastUsedAt),
        ]
    }
}
