import Foundation

/// Where commands write and read. Task-local values, so tests run commands in process with a
/// buffer console (`CommandIO.$console.withValue(buffer) { ... }`) and canned input without
/// touching the real streams.
enum CommandIO {
    @TaskLocal static var console: any Console = StandardConsole()
    /// Reads one line of standard input (without its newline), `nil` at the end.
    @TaskLocal static var readLine: @Sendable () -> String? = { Swift.readLine(strippingNewline: true) }
}

/// How `user create` and `user passwd` get a password: from standard input with
/// `--password-stdin` (scripts), else from a prompt that does not echo (terminals).
enum PasswordInput {
    static func read(fromStandardInput: Bool, prompt: String) -> String? {
        if fromStandardInput { return CommandIO.readLine() }
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        guard let first = getpass(prompt).map({ String(cString: $0) }) else { return nil }
        guard let again = getpass("Again: ").map({ String(cString: $0) }), again == first else {
            CommandIO.console.err("workflow: the two passwords differ\n")
            return nil
        }
        return first
    }
}
