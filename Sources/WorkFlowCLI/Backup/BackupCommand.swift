import ArgumentParser
import Foundation
import WorkFlowBackup
import WorkFlowEngine
import WorkFlowServer

/// `workflow backup [FILE] [--force]`
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write workflows, versions, schedules, users, settings and custom modules to a ZIP.",
        discussion: """
            The ZIP has the layout of WorkFlow v0.0.3's backups (workflows/, modules/, settings.json, \
            backup.json), which that version can restore too; the version histories, schedules and users \
            go into extra/. Users are written without their password hashes unless you give \
            --with-password-hashes; API keys never are. Deleted workflows are left out. See docs/backup.md.

            Examples:
              workflow backup
              workflow backup /srv/backups/workflow.zip --force
              workflow backup full.zip --with-password-hashes
              workflow backup nightly.zip --json
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The ZIP to write (default: workflow_backup_<UTC YYYYMMDD_HHMMSS>.zip here).", valueName: "FILE"))
    var file: String?
    @Flag(help: "Replace FILE if it exists.") var force = false
    @Flag(help: "Include the users' bcrypt password hashes, so that restored users sign in with their passwords.")
    var withPasswordHashes = false

    func run() async throws {
        try await CommandContext.with(global) { context in
            let now = Date()
            let path = file ?? BackupPresentation.defaultFileName(at: now)
            if !force && FileManager.default.fileExists(atPath: path) {
                throw context.fail("\(path) exists; give --force to replace it")
            }
            let writer = BackupWriter(
                flows: context.store, settings: context.store, modules: LibraryBackupModules(library: context.modules),
                schedules: context.store, users: context.store, includePasswordHashes: withPasswordHashes)
            let output: BackupOutput
            do throws(BackupError) {
                output = try await writer.write(createdBy: CommandAuthor.current, at: now)
            } catch {
                throw context.fail(error.description)
            }
            do {
                try output.data.write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw context.fail("cannot write \(path): \(error.localizedDescription)")
            }
            context.output(BackupPresentation.json(output, file: path)) { BackupPresentation.text(output, file: path) }
        }
    }
}
