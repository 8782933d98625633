import ArgumentParser
import Foundation
import WorkFlowBackup
import WorkFlowEngine
import WorkFlowServer

/// `workflow import-seed --backup FILE.zip | --dir PATH [--workflows DIR] [--dry-run]`
struct ImportSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-seed", abstract: "Bring custom modules and workflows over from WorkFlow v0.0.3.",
        discussion: """
            Reads a backup ZIP that WorkFlow v0.0.3 made (--backup), or its installation folder \
            (--dir: the custom modules in mod/<category>/*.py and the exported workflows in workflows/*.json) \
            and folders of exported workflows (--workflows: each file as the seed's backup wrote it, \
            {"flow_name", "enabled", "procedures": {...}}, or as its -c option took it, {"name", \
            "procedures": [...]}).

            Custom modules are saved in the database: a new module, or a new version when the source \
            differs. The seed's own modules (common.Bash, mysql.MySQL, ...), which WorkFlow has built in, \
            copies such as "Http 2.py" and helper files such as _util.py are left out. Workflows are \
            created with their enabled flag, or updated as a new version when they exist and differ. A \
            backup's settings are written as `workflow restore` writes them.

            Everything is checked before anything is written: a module with a syntax error (listed with \
            its file, line and column) or a workflow that does not validate against the built-in and \
            imported modules stops the import, with every problem listed and exit status 2. See \
            docs/migrating-from-workflow-py.md.

            Examples:
              workflow import-seed --dir /opt/WorkFlow --dry-run
              workflow import-seed --dir /opt/WorkFlow --workflows ./exported
              workflow import-seed --backup workflow_backup_20260225_100000.zip --json
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("A backup ZIP made by WorkFlow v0.0.3.", valueName: "FILE.zip"))
    var backup: String?
    @Option(help: ArgumentHelp("A WorkFlow v0.0.3 installation folder (its mod/ and workflows/).", valueName: "PATH"))
    var dir: String?
    @Option(help: ArgumentHelp("A folder of exported workflow JSON files; may be repeated.", valueName: "DIR"))
    var workflows: [String] = []
    @Flag(help: "Check everything and show what would change, without writing anything.")
    var dryRun = false

    func validate() throws {
        if backup != nil && (dir != nil || !workflows.isEmpty) {
            throw ValidationError("give either --backup, or --dir and --workflows")
        }
        if backup == nil && dir == nil && workflows.isEmpty {
            throw ValidationError("give --backup FILE.zip or --dir PATH (with --workflows DIR for exported workflows)")
        }
    }

    /// What is being imported, for messages and version comments.
    var sourceName: String {
        backup ?? dir ?? workflows.joined(separator: ", ")
    }

    func run() async throws {
        try await CommandContext.with(global) { context in
            let modules = LibraryBackupModules(library: context.modules)
            let restorer = BackupRestorer(
                flows: context.store, settings: context.store, modules: modules, schedules: context.store, users: context.store)
            let data = try backup.map { try BackupPresentation.readArchive($0, limits: .standard, context: context) }
            let plan: RestorePlan
            do throws(BackupError) {
                let archive: BackupArchive
                if let data {
                    archive = try await BackupArchive.read(data, registry: context.registry, modules: modules)
                } else {
                    archive = try await SeedInstallation.read(
                        folder: dir.map { URL(fileURLWithPath: $0) }, workflowFolders: workflows.map { URL(fileURLWithPath: $0) },
                        registry: context.registry, modules: modules)
                }
                plan = try await restorer.plan(archive)
            } catch {
                throw fail(error, context: context)
            }
            if dryRun {
                let report = ImportSeedReport(plan: plan, source: sourceName, failures: [], dryRun: true)
                context.output(report.json) { report.text }
                return
            }
            let name = backup.map { URL(fileURLWithPath: $0).lastPathComponent } ?? sourceName
            let result = await restorer.apply(plan, author: CommandAuthor.current, comment: "imported from WorkFlow v0.0.3 (\(name))")
            let report = ImportSeedReport(plan: plan, source: sourceName, failures: result.failures, dryRun: false)
            context.output(report.json) { report.text }
            if !result.failures.isEmpty { throw ExitCode(1) }
        }
    }

    /// Reports `error`: every problem and exit 2 when the input cannot be imported, exit 1 when
    /// the store or the module library failed.
    private func fail(_ error: BackupError, context: CommandContext) -> ExitCode {
        switch error {
        case .invalidArchive(let problems):
            let message = "\(sourceName) cannot be imported; nothing was written"
            if context.json {
                let document: JSONValue = ["status": false, "error": .string(message), "problems": .array(problems.map(\.json))]
                context.console.out(JSONWriter.prettyString(from: document) + "\n")
            } else {
                context.console.err("workflow: \(message):\n" + problems.map { "  \($0)\n" }.joined())
            }
            return ExitCode(WorkFlowCommand.invalidExitCode)
        case .file:
            return context.fail(error.description, code: WorkFlowCommand.invalidExitCode)
        case .store, .modules:
            return context.fail(error.description)
        }
    }
}

/// What `import-seed` did, or would do: the restore plan, told by modules and workflows.
struct ImportSeedReport {
    var plan: RestorePlan
    var source: String
    var failures: [BackupProblem]
    var dryRun: Bool

    /// `category.Name` of a module item (`test/Test.py` → `test.Test`).
    static func moduleName(_ item: RestoreItem) -> String {
        (item.name.hasSuffix(".py") ? String(item.name.dropLast(3)) : item.name).replacingOccurrences(of: "/", with: ".")
    }

    private func names(_ kind: RestoreItem.Kind, _ change: RestoreChange) -> [String] {
        plan.items(kind, change).map { kind == .module ? Self.moduleName($0) : $0.name }
    }

    private var settingsWritten: [String] {
        plan.items.filter { $0.kind == .setting && ($0.change == .create || $0.change == .update) }.map(\.name)
    }

    var json: JSONValue {
        func list(_ names: [String]) -> JSONValue { .array(names.map(JSONValue.string)) }
        let skipped: [JSONValue] = plan.items(.module, .skip).map { item in
            ["name": .string(Self.moduleName(item)), "file": .string(item.entry), "reason": item.detail.map(JSONValue.string) ?? .null]
        }
        return [
            "status": .bool(failures.isEmpty),
            "dry_run": .bool(dryRun),
            "source": .string(source),
            "modules": [
                "created": list(names(.module, .create)), "updated": list(names(.module, .update)),
                "unchanged": list(names(.module, .unchanged)), "skipped": .array(skipped),
            ],
            "workflows": [
                "created": list(names(.workflow, .create)), "updated": list(names(.workflow, .update)),
                "unchanged": list(names(.workflow, .unchanged)), "skipped": list(names(.workflow, .skip)),
            ],
            "settings": list(settingsWritten),
            "items": plan.report(failures: failures, dryRun: dryRun)["items"] ?? [],
            "failures": .array(failures.map(\.json)),
        ]
    }

    var text: String {
        var text = "Import from \(source):\n"
        var table = TextTable(["KIND", "CHANGE", "NAME", "FILE", "DETAIL"])
        for item in plan.items {
            let name = item.kind == .module ? Self.moduleName(item) : item.name
            table.append([item.kind.rawValue, item.change.rawValue, name, item.entry, item.detail ?? "-"])
        }
        text += table.render(empty: "Nothing to import.")
        for failure in failures {
            text += "Failed: \(failure)\n"
        }
        let skipped = plan.items(.module, .skip)
        let builtIn = skipped.filter { $0.detail?.contains("built into WorkFlow") == true }.count
        var summary =
            "modules \(names(.module, .create).count) created, \(names(.module, .update).count) updated, "
            + "\(names(.module, .unchanged).count) unchanged, \(skipped.count) skipped (\(builtIn) built into WorkFlow); "
            + "workflows \(names(.workflow, .create).count) created, \(names(.workflow, .update).count) updated, "
            + "\(names(.workflow, .unchanged).count) unchanged; \(BackupPresentation.count(settingsWritten.count, "setting")) written"
        let schedules = plan.items.filter { $0.kind == .schedule && ($0.change == .create || $0.change == .update) }.count
        let users = plan.items(.user, .create).count
        if schedules > 0 || users > 0 {
            summary += "; \(BackupPresentation.count(schedules, "schedule")), \(BackupPresentation.count(users, "new user"))"
        }
        if dryRun {
            text += "Dry run: nothing was written. Importing would give: \(summary).\n"
        } else if failures.isEmpty {
            text += "Imported: \(summary).\n"
        } else {
            text += "Import incomplete: \(BackupPresentation.count(failures.count, "write")) failed (listed above). Planned: \(summary).\n"
        }
        return text
    }
}
