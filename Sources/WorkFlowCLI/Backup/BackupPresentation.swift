import ArgumentParser
import Foundation
import WorkFlowBackup
import WorkFlowEngine

/// How `backup` and `restore` read their file and show what they did.
enum BackupPresentation {
    /// `workflow_backup_<UTC YYYYMMDD_HHMMSS>.zip`, the seed's file name.
    static func defaultFileName(at date: Date) -> String {
        BackupLayout.fileName(at: date)
    }

    // MARK: - backup

    static func json(_ output: BackupOutput, file: String) -> JSONValue {
        [
            "status": true,
            "file": .string(file),
            "bytes": .int(output.data.count),
            "created_at": .string(output.manifest.createdAt),
            "workflows": .array(output.workflows.map(JSONValue.string)),
            "versions": .int(output.versionCount),
            "settings": .int(output.settingCount),
            "modules": .array(output.modules.map(JSONValue.string)),
            "schedules": .int(output.scheduleCount),
            "users": .int(output.userCount),
        ]
    }

    static func text(_ output: BackupOutput, file: String) -> String {
        "Backed up \(count(output.workflows.count, "workflow")) (\(count(output.versionCount, "version"))), "
            + "\(count(output.scheduleCount, "schedule")), \(count(output.userCount, "user")), "
            + "\(count(output.settingCount, "setting")) and \(count(output.modules.count, "custom module")) to \(file) "
            + "(\(output.data.count) bytes).\n"
    }

    // MARK: - restore

    /// The bytes of `file`, or the end of the command (exit 2) when it cannot be read or is too large.
    static func readArchive(_ file: String, limits: BackupLimits, context: CommandContext) throws -> Data {
        let url = URL(fileURLWithPath: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw context.fail("\(file): no such file", code: WorkFlowCommand.invalidExitCode)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        if size > limits.maxArchiveBytes {
            throw fail(
                .invalidArchive([BackupProblem(entry: nil, message: "the archive is \(size) bytes; the limit is \(limits.maxArchiveBytes)")]),
                file: file, context: context)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw context.fail("\(file): cannot be read (\(error.localizedDescription))", code: WorkFlowCommand.invalidExitCode)
        }
    }

    /// Reports `error` and returns the exit: 2 with every problem for an invalid archive, 1 otherwise.
    static func fail(_ error: BackupError, file: String, context: CommandContext) -> ExitCode {
        guard case .invalidArchive(let problems) = error else { return context.fail(error.description) }
        if context.json {
            let document: JSONValue = [
                "status": false,
                "error": .string("\(file) cannot be restored; nothing was written"),
                "problems": .array(problems.map(\.json)),
            ]
            context.console.out(JSONWriter.prettyString(from: document) + "\n")
        } else {
            let lines = problems.map { "  \($0)\n" }.joined()
            context.console.err("workflow: \(file) cannot be restored; nothing was written:\n\(lines)")
        }
        return ExitCode(WorkFlowCommand.invalidExitCode)
    }

    static func json(_ plan: RestorePlan, failures: [BackupProblem], dryRun: Bool) -> JSONValue {
        plan.report(failures: failures, dryRun: dryRun)
    }

    static func text(_ plan: RestorePlan, manifest: BackupManifest, file: String, failures: [BackupProblem], dryRun: Bool) -> String {
        let maker = manifest.isSeedBackup ? "WorkFlow v0.0.3" : (manifest.producer ?? "WorkFlow")
        var text = "Backup \(file): made \(manifest.createdAt.isEmpty ? "at an unknown time" : manifest.createdAt)"
        text += manifest.createdBy.isEmpty ? "" : " by \(manifest.createdBy)"
        text += " with \(maker).\n"
        var table = TextTable(["KIND", "CHANGE", "NAME", "DETAIL"])
        for item in plan.items {
            table.append([item.kind.rawValue, item.change.rawValue, item.name, item.detail ?? "-"])
        }
        text += table.render(empty: "The backup holds nothing to restore.")
        for section in plan.ignoredSections where section == .accounts {
            text += "Not restored: \(BackupLayout.accountsPath) (the seed's users, groups and roles).\n"
        }
        for failure in failures {
            text += "Failed: \(failure)\n"
        }
        let created = plan.items(.workflow, .create).count
        let workflows =
            "\(count(created, "workflow")) created, \(plan.items(.workflow, .update).count) updated, "
            + "\(plan.items(.workflow, .unchanged).count) unchanged"
        let settings = plan.items.filter { $0.kind == .setting && ($0.change == .create || $0.change == .update) }.count
        let modules = plan.items.filter { $0.kind == .module && ($0.change == .create || $0.change == .update) }.count
        let schedules = plan.items.filter { $0.kind == .schedule && ($0.change == .create || $0.change == .update) }.count
        let users = plan.items(.user, .create).count
        let summary =
            "\(workflows); \(count(schedules, "schedule")), \(count(users, "new user")), \(count(settings, "setting")) and "
            + "\(count(modules, "custom module")) written"
        if dryRun {
            text += "Dry run: nothing was written. Restoring would give: \(summary).\n"
        } else if failures.isEmpty {
            text += "Restored: \(summary).\n"
        } else {
            text += "Restore incomplete: \(count(failures.count, "write")) failed (listed above). Planned: \(summary).\n"
        }
        return text
    }

    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }
}
