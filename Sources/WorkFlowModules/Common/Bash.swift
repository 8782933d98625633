import WorkFlowEngine

/// `common.Bash`: runs a shell command or a program and returns its exit code and output.
public struct BashModule: Module {
    public init() {}

    public var descriptor: ModuleDescriptor { Self.moduleDescriptor }

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        guard method == "run" else {
            throw UnknownMethodError(module: Self.moduleDescriptor.name, method: method, available: ["run"])
        }
        return try await run(params: params, context: context)
    }

    /// Same result shapes as the seed: `{"status", "exit_code", "stdout", "stderr"}`, with
    /// `exit_code: -1` when the command timed out or could not start.
    func run(params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let command = try Self.command(from: params)
        context.logger.debug("running: \(String(command.display.prefix(200)))")

        switch try await BashProcess.execute(command, clock: context.clock) {
        case .couldNotStart(let message):
            context.logger.error(message)
            return .failure(Self.result(exitCode: -1, stdout: "", stderr: message), error: message)

        case .timedOut(let stdout, let stderr):
            let seconds = command.timeoutSeconds
            let message = "command timed out after \(seconds) seconds"
            context.logger.error(message)
            Self.logPartialOutput(stdout, stream: "stdout", context: context)
            Self.logPartialOutput(stderr, stream: "stderr", context: context)
            return .failure(
                Self.result(exitCode: -1, stdout: "", stderr: "Timeout after \(seconds) seconds"), error: message)

        case .exited(let exitCode, let stdout, let stderr):
            Self.logCapture(stdout, stream: "stdout", limit: command.maxOutputBytes, context: context)
            Self.logCapture(stderr, stream: "stderr", limit: command.maxOutputBytes, context: context)
            let stderrText = stderr.text
            let result = Self.result(exitCode: exitCode, stdout: stdout.text, stderr: stderrText)
            guard exitCode != 0 else { return .success(result) }
            let excerpt = String(stderrText.trimmingWhitespace().prefix(200)).trimmingWhitespace()
            let message = "command exited with code \(exitCode)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
            context.logger.error(message)
            return .failure(result, error: message)
        }
    }

    static func result(exitCode: Int, stdout: String, stderr: String) -> JSONValue {
        [
            "status": .bool(exitCode == 0),
            "exit_code": .int(exitCode),
            "stdout": .string(stdout),
            "stderr": .string(stderr),
        ]
    }

    private static func logCapture(_ output: BashCapturedOutput, stream: String, limit: Int, context: StepContext) {
        if output.droppedByteCount > 0 {
            context.logger.warning(
                "\(stream) truncated: kept the first \(limit) bytes, dropped \(output.droppedByteCount) more (raise max_output to keep more)")
        }
        if let failure = output.readFailure {
            context.logger.warning("reading \(stream) stopped early: \(failure)")
        }
    }

    /// The output a timed-out command wrote, for the log only: the seed's result has none.
    private static func logPartialOutput(_ output: BashCapturedOutput, stream: String, context: StepContext) {
        guard !output.isEmpty else { return }
        let shownLimit = 4_096
        let text = output.text
        let shown = text.count > shownLimit ? String(text.prefix(shownLimit)) + "…" : text
        context.logger.debug("partial \(stream) before the timeout:\n\(shown)")
    }
}

// MARK: - Parameters

extension BashModule {
    static let defaultWorkingDirectory = "/"
    static let defaultTimeoutSeconds = 60
    static let defaultMaxOutputBytes = 10 * 1024 * 1024

    /// Resolves and checks every parameter before anything runs.
    static func command(from params: JSONObject) throws(ParameterError) -> BashCommand {
        let reader = ParameterReader(params)
        let cmd = try reader.required("cmd")
        let shell = try reader.bool("shell", default: true)
        let workingDirectory = try reader.string("cwd", default: defaultWorkingDirectory)
        let environment = try environmentOverrides(reader.optionalObject("env"))

        let timeout = try reader.int("timeout", default: defaultTimeoutSeconds)
        guard timeout > 0 else {
            throw ParameterError(
                path: "timeout", message: "expected a positive number of seconds, got \(ParameterReader.describe(reader.value("timeout") ?? .int(timeout)))")
        }
        let maxOutput = try reader.int("max_output", default: defaultMaxOutputBytes)
        guard maxOutput >= 0 else {
            throw ParameterError(path: "max_output", message: "expected a number of bytes (0 or more), got number \(maxOutput)")
        }

        let argv: [String]
        let display: String
        switch cmd {
        case .string(let line) where shell:
            argv = ["/bin/sh", "-c", line]
            display = line
        case .string(let line):
            do {
                argv = try BashWordSplitter.split(line)
            } catch {
                throw ParameterError(path: "cmd", message: error.description)
            }
            guard !argv.isEmpty else { throw ParameterError(path: "cmd", message: "has no program to run") }
            display = line
        case .array(let items):
            argv = try argumentVector(items)
            display = argv.joined(separator: " ")
        default:
            throw reader.mismatch("cmd", expected: "a string or an array", got: cmd)
        }

        let programText = argv[0]
        let program: BashCommand.Program = programText.contains("/") ? .path(programText) : .name(programText)
        return BashCommand(
            program: program, arguments: Array(argv.dropFirst()), display: display,
            workingDirectory: workingDirectory, environment: environment, timeoutSeconds: timeout,
            maxOutputBytes: maxOutput)
    }

    private static func argumentVector(_ items: [JSONValue]) throws(ParameterError) -> [String] {
        guard !items.isEmpty else { throw ParameterError(path: "cmd", message: "has no program to run") }
        var argv: [String] = []
        argv.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let s): argv.append(s)
            case .int, .double: argv.append(JSONWriter.string(from: item))
            default:
                throw ParameterError(
                    path: "cmd[\(index)]", message: "expected a string or a number, got \(ParameterReader.describe(item))")
            }
        }
        guard !argv[0].isEmpty else { throw ParameterError(path: "cmd[0]", message: "the program name is empty") }
        return argv
    }

    /// Strings pass as they are, numbers as written, booleans as `true`/`false`; `null` removes
    /// the variable.
    private static func environmentOverrides(_ env: JSONObject?) throws(ParameterError) -> [String: String?] {
        guard let env else { return [:] }
        var overrides: [String: String?] = [:]
        for (name, value) in env {
            let path = "env.\(name)"
            guard !name.isEmpty, !name.contains("="), !name.contains("\0") else {
                throw ParameterError(path: path, message: "is not a valid variable name (empty, or contains '=' or NUL)")
            }
            let text: String?
            switch value {
            case .string(let s): text = s
            case .int, .double: text = JSONWriter.string(from: value)
            case .bool(let b): text = b ? "true" : "false"
            case .null: text = nil
            case .array, .object:
                throw ParameterError(
                    path: path, message: "expected a string, number or boolean, got \(ParameterReader.describe(value))")
            }
            if let text, text.contains("\0") {
                throw ParameterError(path: path, message: "must not contain a NUL character")
            }
            overrides[name] = .some(text)
        }
        return overrides
    }
}

// MARK: - Descriptor

extension BashModule {
    static let moduleDescriptor = ModuleDescriptor(
        name: "common.Bash",
        doc: "Runs shell commands and programs on the WorkFlow host.",
        methods: [
            MethodDescriptor(
                "run",
                doc: """
                    Runs a command with stdin on /dev/null, in its own process group, and captures \
                    stdout and stderr as UTF-8 text (invalid bytes replaced). A non-zero exit fails \
                    the step; a process killed by a signal reports exit_code -signal. On timeout or \
                    cancellation the whole process group is killed; a timeout or a command that \
                    cannot start returns exit_code -1 with the reason in stderr.
                    """,
                parameters: [
                    ParameterDescriptor(
                        "cmd", [.string, .array], required: true,
                        doc: """
                            The command. A string runs through /bin/sh -c (or, with shell false, is split \
                            into words with shell quoting rules and run directly); an array of strings or \
                            numbers is the program and its arguments, run directly with the program found \
                            through PATH.
                            """),
                    ParameterDescriptor(
                        "cwd", .string, default: .string(defaultWorkingDirectory),
                        doc: "Working directory of the command."),
                    ParameterDescriptor(
                        "env", .object,
                        doc: """
                            Variables set on top of the WorkFlow process environment. Numbers and booleans \
                            are passed as text; null removes a variable.
                            """),
                    ParameterDescriptor(
                        "timeout", .integer, default: .int(defaultTimeoutSeconds),
                        doc: "Seconds before the command and everything it started are killed; a numeric string is accepted."),
                    ParameterDescriptor(
                        "shell", .boolean, default: .bool(true),
                        doc: "Whether a string cmd runs through /bin/sh; an array cmd always runs directly."),
                    ParameterDescriptor(
                        "max_output", .integer, default: .int(defaultMaxOutputBytes),
                        doc: """
                            Bytes of stdout and of stderr kept (each); the rest is read and dropped, and \
                            the text ends with a line saying how many bytes were left out.
                            """),
                ],
                result: #"{"status": true, "exit_code": 0, "stdout": "...", "stderr": "..."}"#)
        ])
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
