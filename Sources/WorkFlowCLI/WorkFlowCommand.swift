import ArgumentParser
import Foundation
import WorkFlowEngine
import WorkFlowStore

/// `workflow`: run, check and manage workflows. Also accepts the seed's one-option command line
/// (`-f NAME`, `-c JSON5`, ...), which, unlike the seed, prints results and exits non-zero on failure.
public struct WorkFlowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Define, run and manage workflows.",
        discussion: """
            Exit status: 0 success, 1 the run or operation failed, 2 an invalid workflow or command \
            line, 130 interrupted.

            The seed's options still work, one at a time: -f NAME (run), -c JSON5 (create), \
            -u JSON5 (update), -r '{"current": "old", "new": "new"}' (rename), -t NAME (delete), \
            -e NAME (enable), -d NAME (disable), -i NAME (show), -l (list).
            """,
        subcommands: [
            RunCommand.self, ValidateCommand.self, ModulesCommand.self, FlowCommand.self, RunsCommand.self, LogsCommand.self,
            DatabaseCommand.self, SettingsCommand.self, ServeCommand.self, UserCommand.self, APIKeyCommand.self,
            BackupCommand.self, RestoreCommand.self, ImportSeedCommand.self, ScheduleCommand.self,
        ]
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: [.customShort("f"), .customLong("flow")], help: ArgumentHelp("Run the stored workflow NAME (seed option).", valueName: "NAME"))
    var flow: String?
    @Option(name: [.customShort("c"), .customLong("create")], help: ArgumentHelp("Create a workflow from {\"name\", \"procedures\", ...} (seed option).", valueName: "JSON5"))
    var create: String?
    @Option(name: [.customShort("u"), .customLong("update")], help: ArgumentHelp("Update the workflow named in the document (seed option).", valueName: "JSON5"))
    var update: String?
    @Option(name: [.customShort("r"), .customLong("rename")], help: ArgumentHelp("Rename: {\"current\": \"old\", \"new\": \"new\"} (seed option).", valueName: "JSON5"))
    var rename: String?
    @Option(name: [.customShort("t"), .customLong("delete")], help: ArgumentHelp("Delete a workflow (seed option).", valueName: "NAME"))
    var delete: String?
    @Option(name: [.customShort("e"), .customLong("enable")], help: ArgumentHelp("Enable a workflow (seed option).", valueName: "NAME"))
    var enable: String?
    @Option(name: [.customShort("d"), .customLong("disable")], help: ArgumentHelp("Disable a workflow (seed option).", valueName: "NAME"))
    var disable: String?
    @Option(name: [.customShort("i"), .customLong("info")], help: ArgumentHelp("Show a workflow (seed option).", valueName: "NAME"))
    var info: String?
    @Flag(name: [.customShort("l"), .customLong("list")], help: "List workflows (seed option).")
    var list = false
    @Flag(name: [.customShort("s"), .customLong("serve")], help: "Start the server (seed option; the same as: workflow serve).")
    var serve = false

    public init() {}

    /// Exit status for an invalid document or command line.
    public static let invalidExitCode: Int32 = 2

    var seedActions: Int {
        [flow, create, update, rename, delete, enable, disable, info].compactMap { $0 }.count + (list ? 1 : 0) + (serve ? 1 : 0)
    }

    public func validate() throws {
        if seedActions > 1 {
            throw ValidationError("give one of -f, -c, -u, -r, -t, -e, -d, -i, -l, -s at a time")
        }
    }

    public func run() async throws {
        guard seedActions == 1 else {
            throw CleanExit.helpRequest(self)
        }
        try await SeedOptions(command: self).perform()
    }

    /// Parses the command line and runs the command. Usage errors exit with 2, not
    /// ArgumentParser's default 64, so scripts see one code for "you asked for something wrong".
    public static func runMain(arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(invalidExitCode)
            }
            exit(withError: error)
        }
    }
}
