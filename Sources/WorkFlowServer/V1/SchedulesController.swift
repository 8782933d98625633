import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `/api/v1/flows/<name>/schedules` and `/api/v1/schedules`: workflows' cron schedules.
struct SchedulesController {
    let store: SQLStore
    let scheduler: SchedulerService
    let defaults: EffectiveSettings
    let auditor: Auditor
    let now: @Sendable () -> Date

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/api/v1/schedules", "Every workflow's schedules, with their next fire times (?limit=&offset=)") { request, context in
            try context.require(.read)
            let paging = try Paging(request)
            let all = try await store.listSchedules(flowName: nil)
            let page = all.dropFirst(paging.offset).prefix(paging.probeLimit)
            return paging.page(page.map { Presentation.json($0, now: now()) })
        }
        routes.add(.get, "/api/v1/flows/:name/schedules", "A workflow's schedules, with their next fire times") { _, context in
            try context.require(.read)
            let schedules = try await store.listSchedules(flowName: try context.parameters.require("name"))
            return JSONResponse(["items": .array(schedules.map { Presentation.json($0, now: now()) })])
        }
        routes.add(
            .post, "/api/v1/flows/:name/schedules",
            "Add a schedule: {name, cron, timezone?, enabled?, overlap: skip|queue|allow, misfire: run_once|skip}"
        ) { request, context in try await create(request, context: context) }
        routes.add(.get, "/api/v1/flows/:name/schedules/:schedule", "One schedule, with its next fire times") { _, context in
            try context.require(.read)
            let schedule = try await store.schedule(
                flowName: try context.parameters.require("name"), name: try context.parameters.require("schedule"))
            return JSONResponse(Presentation.json(schedule, now: now()))
        }
        routes.add(
            .put, "/api/v1/flows/:name/schedules/:schedule",
            "Change a schedule: any of {name, cron, timezone, enabled, overlap, misfire}; the rest is kept"
        ) { request, context in try await update(request, context: context) }
        routes.add(.delete, "/api/v1/flows/:name/schedules/:schedule", "Remove a schedule") { _, context in
            try context.require(.write)
            let flowName = try context.parameters.require("name")
            let name = try context.parameters.require("schedule")
            try await store.deleteSchedule(flowName: flowName, name: name)
            await auditor.record(context, action: "delete", targetType: "schedule", targetName: "\(flowName)/\(name)")
            scheduler.wake()
            return Response(status: .noContent)
        }
    }

    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.require(.write)
        let flowName = try context.parameters.require("name")
        let body = try await request.jsonObject(context: context)
        let name = try body.requiredString("name")
        let timeZone = defaults.applying(try await store.settings()).timeZone.identifier
        let settings = try Self.settings(
            from: body, over: ScheduleSettings(cron: try body.requiredString("cron"), timeZone: timeZone))
        let schedule = try await store.createSchedule(
            flowName: flowName, name: name, settings: settings, author: identity.actor, now: now())
        await auditor.record(context, action: "create", targetType: "schedule", targetName: "\(flowName)/\(name)", detail: Self.detail(settings))
        scheduler.wake()
        return JSONResponse(Presentation.json(schedule, now: now()), status: .created).response(from: request, context: context)
    }

    private func update(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        let identity = try context.require(.write)
        let flowName = try context.parameters.require("name")
        let name = try context.parameters.require("schedule")
        let body = try await request.jsonObject(context: context)
        let current = try await store.schedule(flowName: flowName, name: name)
        let settings = try Self.settings(from: body, over: current.settings)
        let schedule = try await store.updateSchedule(
            flowName: flowName, name: name, newName: try body.optionalString("name"), settings: settings, author: identity.actor,
            now: now())
        var detail = Self.detail(settings)
        if schedule.name != name, case .object(var object) = detail {
            object["new_name"] = .string(schedule.name)
            detail = .object(object)
        }
        await auditor.record(context, action: "update", targetType: "schedule", targetName: "\(flowName)/\(name)", detail: detail)
        scheduler.wake()
        return JSONResponse(Presentation.json(schedule, now: now()))
    }

    /// `base` with the body's fields applied, checked: a wrong field is a 400 that names it.
    static func settings(from body: JSONObject, over base: ScheduleSettings) throws(APIError) -> ScheduleSettings {
        var settings = base
        if let cron = try body.optionalString("cron") { settings.cron = cron }
        if let timeZone = try body.optionalString("timezone") { settings.timeZone = timeZone }
        if let enabled = try body.optionalBool("enabled") { settings.enabled = enabled }
        let overlap = try body.optionalString("overlap")
        let misfire = try body.optionalString("misfire")
        do throws(ScheduleSettingsError) {
            if let overlap { settings.overlap = try ScheduleSettings.overlap(named: overlap) }
            if let misfire { settings.misfire = try ScheduleSettings.misfire(named: misfire) }
            _ = try settings.cronSchedule()
        } catch {
            throw APIError.invalidField(error.field, error.problem)
        }
        return settings
    }

    /// The settings as the audit log records them.
    static func detail(_ settings: ScheduleSettings) -> JSONValue {
        [
            "cron": .string(settings.cron), "timezone": .string(settings.timeZone), "enabled": .bool(settings.enabled),
            "overlap": .string(settings.overlap.rawValue), "misfire": .string(settings.misfire.rawValue),
        ]
    }
}
