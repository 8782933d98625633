import ArgumentParser
import Foundation

/// `workflow`: run, check and inspect workflows.
public struct WorkFlowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Define, run and inspect workflows.",
        discussion: "Exit status: 0 success, 1 the run failed, 2 an invalid workflow or command line, 130 interrupted.",
        subcommands: [RunCommand.self, ValidateCommand.self, ModulesCommand.self]
    )

    public init() {}

    /// Exit status for an invalid document or command line.
    public static let invalidExitCode: Int32 = 2

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
