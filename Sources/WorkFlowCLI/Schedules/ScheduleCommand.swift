import ArgumentParser
import Foundation
import WorkFlowCron
import WorkFlowServer
import WorkFlowStore

/// `workflow schedule ...`: workflows' cron schedules.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Manage the cron schedules that start workflows.",
        discussion: """
            A schedule runs a workflow at the times a cron expression names, on the wall clock of a \
            time zone (see docs/schedules.md). The server's scheduler starts the runs; it sees changes \
            made here within a minute.
            """,
        subcommands: [
            ScheduleListCommand.self, ScheduleAddCommand.self, ScheduleRemoveCommand.self, ScheduleEnableCommand.self,
            ScheduleDisableCommand.self,
        ]
    )
}

extension OverlapPolicy: ExpressibleByArgument {}
extension MisfirePolicy: ExpressibleByArgument {}

extension CommandContext {
    /// Enables or disables a schedule and reports it.
    func setScheduleEnabled(_ enabled: Bool, flow: String, name: String) async throws {
        let current = try await store.schedule(flowName: flow, name: name)
        var settings = current.settings
        settings.enabled = enabled
        let schedule = try await store.updateSchedule(
            flowName: flow, name: name, newName: nil, settings: settings, author: CommandAuthor.current, now: Date())
        output(Presentation.json(schedule, now: Date())) {
            "Schedule '\(name)' of workflow '\(flow)' is \(enabled ? "enabled" : "disabled").\n"
        }
    }
}
