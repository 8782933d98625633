import ArgumentParser
import Foundation
import Logging
import WorkFlowEngine
import WorkFlowServer
import WorkFlowStore

/// `workflow logs`
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show the system log, newest first.",
        discussion: "Examples:\n  workflow logs --level warning\n  workflow logs --run 42\n  workflow logs --since 2026-11-28T00:00:00Z --json")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The lowest level to show (trace, debug, info, notice, warning, error, critical).") var level: String?
    @Option(help: "Only lines at or after this time (ISO 8601, e.g. 2026-11-28T09:00:00Z, or a number of minutes ago such as 30m, 2h, 1d).") var since: String?
    @Option(help: "Only lines of this run.") var run: Int64?
    @Option(help: "How many lines to show.") var limit = 200

    func validate() throws {
        if let level, Logger.Level(rawValue: level.lowercased()) == nil {
            throw ValidationError("--level: unknown level '\(level)' (use trace, debug, info, notice, warning, error, critical)")
        }
        if let since, Self.parseSince(since, now: Date()) == nil {
            throw ValidationError("--since: expected an ISO 8601 time such as 2026-11-28T09:00:00Z, or 30m, 2h, 1d")
        }
        if limit < 1 { throw ValidationError("--limit must be 1 or more") }
    }

    /// An absolute time, or a relative one such as `30m`, `2h`, `1d` before `now`.
    static func parseSince(_ text: String, now: Date) -> Date? {
        if let unit = text.last, let amount = Double(text.dropLast()), amount >= 0 {
            switch unit {
            case "s": return now.addingTimeInterval(-amount)
            case "m": return now.addingTimeInterval(-amount * 60)
            case "h": return now.addingTimeInterval(-amount * 3600)
            case "d": return now.addingTimeInterval(-amount * 86400)
            default: break
            }
        }
        return try? Date(text, strategy: .iso8601)
    }

    func run() async throws {
        try await CommandContext.with(global) { context in
            let query = LogQuery(
                minimumLevel: level.flatMap { Logger.Level(rawValue: $0.lowercased()) }, since: since.flatMap { Self.parseSince($0, now: Date()) },
                runID: run, limit: limit)
            let entries = try await context.store.logs(query)
            context.output(
                .array(
                    entries.map { e in
                        [
                            "time": .string(Presentation.timestamp(e.time)), "level": .string(e.level.rawValue), "logger": .string(e.logger),
                            "message": .string(e.message), "run_id": e.runID.map { .int(Int($0)) } ?? .null,
                            "step": e.stepName.map(JSONValue.string) ?? .null,
                        ]
                    })
            ) {
                if entries.isEmpty { return "No log lines.\n" }
                return entries.map { e in
                    "\(context.display(e.time)) \(e.level.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)) [\(e.logger)]"
                        + (e.runID.map { " run \($0)" } ?? "") + (e.stepName.map { " \($0)" } ?? "") + " \(e.message)\n"
                }.joined()
            }
        }
    }
}
