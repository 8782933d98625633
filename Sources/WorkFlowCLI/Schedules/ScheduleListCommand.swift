import ArgumentParser
import Foundation
import WorkFlowServer
import WorkFlowStore

/// `workflow schedule list [--flow NAME]`
struct ScheduleListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List schedules with their next fire time.",
        discussion: "Examples:\n  workflow schedule list\n  workflow schedule list --flow nightly-backup --json")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Only the schedules of this workflow.", valueName: "NAME")) var flow: String?

    func run() async throws {
        try await CommandContext.with(global) { context in
            let schedules = try await context.store.listSchedules(flowName: flow)
            let now = Date()
            context.output(.array(schedules.map { Presentation.json($0, now: now) })) {
                var table = TextTable(["FLOW", "NAME", "CRON", "TIMEZONE", "ENABLED", "OVERLAP", "MISFIRE", "NEXT FIRE"])
                for schedule in schedules {
                    let settings = schedule.settings
                    table.append([
                        schedule.flowName, schedule.name, settings.cron, settings.timeZone, settings.enabled ? "yes" : "no",
                        settings.overlap.rawValue, settings.misfire.rawValue, context.display(schedule.nextFireTimes(after: now, count: 1).first),
                    ])
                }
                return table.render(empty: "No schedules.")
            }
        }
    }
}
