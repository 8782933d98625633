import ArgumentParser
import Foundation
import WorkFlowBackup
import WorkFlowEngine
import WorkFlowServer

/// `workflow restore FILE [--dry-run]`
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore workflows, schedules, users, settings and custom modules from a backup ZIP.",
        discussion: """
            Reads backups made by `workflow backup` and by WorkFlow v0.0.3. The whole archive is checked \
            before anything is written; when anything is wrong every problem is listed, nothing is \
            written and the exit status is 2. Workflows that exist get the backup's document as a new \
            version (none when it is the same); new ones come with their version history. Schedules are \
            created or take the backup's settings; users who do not exist are created (without a password \
            unless the backup holds its hash), users who exist are left alone. Custom module sources are \
            checked first (a syntax error is listed with its line and column) and saved as new module \
            versions when they differ; WorkFlow v0.0.3's own modules are left out. Nothing that the backup \
            does not hold is removed. See docs/backup.md.

            Examples:
              workflow restore workflow_backup_20261128_020000.zip --dry-run
              workflow restore workflow_backup_20261128_020000.zip
              workflow restore old-seed-backup.zip --json
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The backup ZIP.", valueName: "FILE")) var file: String
    @Flag(help: "Check the backup and show what would change, without writing anything.") var dryRun = false

    func run() async throws {
        try await CommandContext.with(global) { context in
            let limits = BackupLimits.standard
            let data = try BackupPresentation.readArchive(file, limits: limits, context: context)
            let modules = LibraryBackupModules(library: context.modules)
            let restorer = BackupRestorer(
                flows: context.store, settings: context.store, modules: modules, schedules: context.store, users: context.store)
            let archive: BackupArchive
            let plan: RestorePlan
            do throws(BackupError) {
                archive = try await BackupArchive.read(data, registry: context.registry, modules: modules, limits: limits)
                plan = try await restorer.plan(archive)
            } catch {
                throw BackupPresentation.fail(error, file: file, context: context)
            }
            if dryRun {
                context.output(BackupPresentation.json(plan, failures: [], dryRun: true)) {
                    BackupPresentation.text(plan, manifest: archive.manifest, file: file, failures: [], dryRun: true)
                }
                return
            }
            let fileName = URL(fileURLWithPath: file).lastPathComponent
            let source = archive.manifest.createdAt.isEmpty ? fileName : "\(fileName) (\(archive.manifest.createdAt))"
            let result = await restorer.apply(plan, author: CommandAuthor.current, source: source)
            context.output(BackupPresentation.json(plan, failures: result.failures, dryRun: false)) {
                BackupPresentation.text(plan, manifest: archive.manifest, file: file, failures: result.failures, dryRun: false)
            }
            if !result.failures.isEmpty { throw ExitCode(1) }
        }
    }
}
