import ArgumentParser
import Foundation
import WorkFlowCron
import WorkFlowServer
import WorkFlowStore

/// `workflow schedule add FLOW NAME CRON [--timezone TZ] [--overlap P] [--misfire P] [--disabled]`
struct ScheduleAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a cron schedule to a workflow.",
        discussion: """
            Examples:
              workflow schedule add nightly-backup nightly "0 2 * * *" --timezone Europe/Berlin
              workflow schedule add report weekdays "30 8 * * MON-FRI" --overlap queue
              workflow schedule add sync every-5 "*/5 * * * *" --misfire skip --disabled
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The workflow's name.", valueName: "FLOW")) var flow: String
    @Argument(help: ArgumentHelp("The schedule's name: letters, digits, '_', '.' or '-'.", valueName: "NAME")) var name: String
    @Argument(help: ArgumentHelp("Five fields (minute hour day month weekday), six with seconds, or @daily and the like.", valueName: "CRON"))
    var cron: String
    @Option(help: ArgumentHelp("The time zone the expression is read in (default: the timezone setting).", valueName: "TZ"))
    var timezone: String?
    @Option(help: ArgumentHelp("What to do at a fire time while the schedule's last run is still active.", valueName: "POLICY")) var overlap = OverlapPolicy.skip
    @Option(help: ArgumentHelp("What to do with fire times missed while no scheduler ran.", valueName: "POLICY"))
    var misfire = MisfirePolicy.runOnce
    @Flag(help: "Add the schedule disabled.") var disabled = false

    func validate() throws {
        do throws(ScheduleSettingsError) {
            _ = try ScheduleSettings(cron: cron, timeZone: timezone ?? "UTC").cronSchedule()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        try await CommandContext.with(global) { context in
            let settings = ScheduleSettings(
                cron: cron, timeZone: timezone ?? context.settings.timeZone.identifier, enabled: !disabled, overlap: overlap,
                misfire: misfire)
            let now = Date()
            let schedule = try await context.store.createSchedule(
                flowName: flow, name: name, settings: settings, author: CommandAuthor.current, now: now)
            context.output(Presentation.json(schedule, now: now)) {
                let next = schedule.nextFireTimes(after: now, count: 1).first
                return "Schedule '\(name)' added to workflow '\(flow)'; next fire: \(context.display(next)).\n"
            }
        }
    }
}
