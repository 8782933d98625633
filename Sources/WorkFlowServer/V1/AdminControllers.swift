import Foundation
import Hummingbird
import Logging
import WorkFlowEngine
import WorkFlowStore

/// `/api/v1/apikeys`: create (the key is in the answer, once), list, enable, disable, delete.
struct APIKeysController {
    let store: SQLStore
    let auditor: Auditor
    let authenticator: Authenticator

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/api/v1/apikeys", "List API keys") { _, context in
            try context.require(.admin)
            return JSONResponse(["items": .array(try await store.apiKeys().map { Presentation.json($0) })])
        }
        routes.add(.post, "/api/v1/apikeys", "Create an API key: {name, user?}; the key is in the answer, once") { request, context in
            let identity = try context.require(.admin)
            let body = try await request.jsonObject(context: context)
            let name = try body.requiredString("name")
            let username = try body.optionalString("user") ?? identity.user.username
            guard let owner = try await store.user(named: username) else { throw APIError.invalidField("user", "user '\(username)' does not exist") }
            let generated = APIKeyFormat.generate()
            let key = try await store.createAPIKey(name: name, prefix: generated.prefix, keyHash: generated.hash, userID: owner.id)
            await auditor.record(context, action: "create", targetType: "apikey", targetName: name, detail: ["user": .string(username)])
            guard case .object(var answer) = Presentation.json(key) else { throw APIError.internal() }
            answer["key"] = .string(generated.plain)
            return JSONResponse(.object(answer), status: .created).response(from: request, context: context)
        }
        routes.add(.post, "/api/v1/apikeys/:name/enable", "Enable an API key") { _, context in try await setEnabled(true, context: context) }
        routes.add(.post, "/api/v1/apikeys/:name/disable", "Disable an API key") { _, context in try await setEnabled(false, context: context) }
        routes.add(.delete, "/api/v1/apikeys/:name", "Delete an API key") { _, context in
            try context.require(.admin)
            let name = try context.parameters.require("name")
            try await store.deleteAPIKey(name: name)
            authenticator.forgetCheckedKeys()
            await auditor.record(context, action: "delete", targetType: "apikey", targetName: name)
            return Response(status: .noContent)
        }
    }

    private func setEnabled(_ enabled: Bool, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.admin)
        let name = try context.parameters.require("name")
        try await store.setAPIKeyEnabled(name: name, enabled)
        authenticator.forgetCheckedKeys()
        await auditor.record(context, action: enabled ? "enable" : "disable", targetType: "apikey", targetName: name)
        guard let key = try await store.apiKeys().first(where: { $0.name == name }) else { throw APIError.notFound("API key '\(name)' does not exist") }
        return JSONResponse(Presentation.json(key))
    }
}

/// `/api/v1/settings`: the system settings in force, and changing them.
struct SettingsController {
    let store: SQLStore
    let defaults: EffectiveSettings
    let auditor: Auditor

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/api/v1/settings", "The system settings in force") { _, context in
            try context.require(.read)
            return JSONResponse(try await current())
        }
        routes.add(.put, "/api/v1/settings/:key", "Store a system setting: {value}") { request, context in
            try context.require(.admin)
            let key = try context.parameters.require("key")
            guard let setting = SystemSetting(rawValue: key) else {
                throw APIError.notFound(
                    "setting '\(key)' does not exist; settings: \(SystemSetting.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let value = try await request.jsonObject(context: context)["value"] else {
                throw APIError.invalidField("value", "is required")
            }
            let checked: JSONValue
            do throws(SystemSettingError) {
                checked = try setting.value(checking: value)
            } catch {
                throw APIError.invalidField("value", "\(error.problem) (expected \(setting.expectation))")
            }
            let previous = try await store.setting(key)
            try await store.setSetting(key, to: checked)
            await auditor.record(
                context, action: "update", targetType: "system_setting", targetName: key,
                detail: ["from": previous ?? .null, "to": checked])
            return JSONResponse(try await current())
        }
        routes.add(.delete, "/api/v1/settings/:key", "Remove a stored system setting") { _, context in
            try context.require(.admin)
            let key = try context.parameters.require("key")
            guard try await store.removeSetting(key) else { throw APIError.notFound("setting '\(key)' is not stored") }
            await auditor.record(context, action: "delete", targetType: "system_setting", targetName: key)
            return JSONResponse(try await current())
        }
    }

    /// `{"timezone": {"value", "source"}, ...}` for every known setting.
    private func current() async throws -> JSONValue {
        let stored = try await store.settings()
        let effective = defaults.applying(stored)
        var answer: JSONObject = [:]
        for setting in SystemSetting.allCases {
            let value: JSONValue =
                switch setting {
                case .timezone: .string(effective.timeZone.identifier)
                case .logRetentionDays: .int(effective.logRetentionDays)
                }
            let isStored = stored[setting.rawValue].map { (try? setting.value(checking: $0)) != nil } ?? false
            answer[setting.rawValue] = [
                "value": value, "source": isStored ? "stored" : "configuration", "description": .string(setting.summary),
            ]
        }
        return .object(answer)
    }
}

/// `/api/v1/logs` (the system log) and `/api/v1/audit` (the audit log).
struct LogsController {
    let store: SQLStore

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/api/v1/logs", "The system log (?level=&since=&run=&limit=)") { request, context in
            try context.require(.read)
            let limit = try request.integerQuery("limit", default: 100, in: 1...10_000)
            var level: Logger.Level?
            if let text = request.textQuery("level") {
                guard let parsed = Logger.Level(rawValue: text) else {
                    throw APIError.invalidField("level", "'\(text)' is not one of trace, debug, info, notice, warning, error, critical")
                }
                level = parsed
            }
            var since: Date?
            if let text = request.textQuery("since") {
                guard let parsed = try? Date(text, strategy: .iso8601) else {
                    throw APIError.invalidField("since", "'\(text)' is not an ISO 8601 time such as 2026-11-28T03:00:00Z")
                }
                since = parsed
            }
            var runID: Int64?
            if let text = request.textQuery("run") {
                guard let parsed = Int64(text) else { throw APIError.invalidField("run", "'\(text)' is not a run id") }
                runID = parsed
            }
            let entries = try await store.logs(LogQuery(minimumLevel: level, since: since, runID: runID, limit: limit))
            return JSONResponse(["items": .array(entries.map { Presentation.json($0) })])
        }
        routes.add(.get, "/api/v1/audit", "The audit log (?actor=&target_type=&target_name=&limit=&offset=)") { request, context in
            try context.require(.admin)
            let paging = try Paging(request)
            let entries = try await store.auditEntries(
                AuditQuery(
                    actor: request.textQuery("actor"), targetType: request.textQuery("target_type"),
                    targetName: request.textQuery("target_name"), limit: paging.probeLimit, offset: paging.offset))
            return paging.page(entries.map { Presentation.json($0) })
        }
    }
}
