import Subprocess
import WorkFlowEngine

#if canImport(System)
import System
#else
import SystemPackage
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One command for ``BashProcess`` to run, resolved from a step's parameters.
struct BashCommand: Sendable, Equatable {
    /// How the program is found.
    enum Program: Sendable, Equatable {
        /// A path, absolute or relative to the working directory.
        case path(String)
        /// A bare name, looked up in the `PATH` of the command's environment.
        case name(String)

        var text: String {
            switch self {
            case .path(let p), .name(let p): p
            }
        }
    }

    var program: Program
    var arguments: [String]
    /// The command as the log shows it.
    var display: String
    var workingDirectory: String
    /// Variables set (or, for `nil`, removed) on top of this process's environment.
    var environment: [String: String?]
    var timeoutSeconds: Int
    /// Bytes kept per stream; the rest is read and counted, never kept.
    var maxOutputBytes: Int
}

/// What one stream of the command wrote: the bytes kept and how many were dropped past the cap.
struct BashCapturedOutput: Sendable, Equatable {
    var kept: [UInt8] = []
    var droppedByteCount = 0
    /// Why reading stopped early, when it did.
    var readFailure: String?

    var isEmpty: Bool { kept.isEmpty && droppedByteCount == 0 }

    /// Keeps `bytes` up to `limit` kept bytes in all, and counts the rest as dropped.
    mutating func append(_ bytes: UnsafeRawBufferPointer, limit: Int) {
        let room = max(limit - kept.count, 0)
        if bytes.count <= room {
            kept.append(contentsOf: bytes)
        } else {
            kept.append(contentsOf: bytes.prefix(room))
            droppedByteCount += bytes.count - room
        }
    }

    /// The output as UTF-8 with invalid bytes replaced, plus a closing note when it was capped.
    var text: String {
        guard droppedByteCount > 0 else { return String(decoding: kept, as: UTF8.self) }
        // Cut before a character the cap split in half, so the text does not end in U+FFFD.
        let end = Self.completeUTF8Prefix(kept)
        let more = droppedByteCount + (kept.count - end)
        return String(decoding: kept[..<end], as: UTF8.self) + "\n[output truncated: \(more) more bytes]"
    }

    /// The length of `bytes` without a trailing, incomplete UTF-8 sequence.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var index = bytes.count
        var seen = 0
        while index > 0 && seen < 4 {
            index -= 1
            seen += 1
            let byte = bytes[index]
            if byte & 0xC0 == 0x80 { continue }  // a continuation byte: keep looking for the lead
            let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return length > seen ? index : bytes.count
        }
        return bytes.count
    }
}

/// How a command ended.
enum BashOutcome: Sendable, Equatable {
    /// It ran to its end; `exitCode` is negative (`-signal`) when a signal killed it.
    case exited(exitCode: Int, stdout: BashCapturedOutput, stderr: BashCapturedOutput)
    /// It outlived its timeout and its process group was killed.
    case timedOut(stdout: BashCapturedOutput, stderr: BashCapturedOutput)
    /// It could not be started; the text says why.
    case couldNotStart(String)
}

/// Runs commands in their own process group with stdin on `/dev/null`, reading stdout and
/// stderr concurrently, under a timeout measured by the run's clock.
///
/// On timeout or task cancellation the whole group gets `SIGKILL` (no grace period, as Python's
/// `subprocess.run` kills on timeout), so background jobs such as `sleep 30 &` die with the
/// shell. The child is always reaped before ``execute(_:clock:)`` returns or throws.
enum BashProcess {
    static func execute(_ command: BashCommand, clock: any EngineClock) async throws -> BashOutcome {
        try Task.checkCancellation()

        let executable: Executable
        let arguments: Arguments
        switch command.program {
        case .path(let path):
            executable = .path(FilePath(path))
            arguments = Arguments(command.arguments)
        case .name(let name):
            // Resolved here rather than with `.name`: Subprocess tries a spawn per PATH entry,
            // which made `true` cost 5 ms instead of 1.5 ms.
            guard let path = resolve(name, environment: command.environment) else {
                return .couldNotStart("program '\(name)' not found in PATH")
            }
            executable = .path(FilePath(path))
            arguments = Arguments(executablePathOverride: name, remainingValues: command.arguments)
        }
        var overrides: [Environment.Key: String?] = [:]
        for (key, value) in command.environment {
            overrides[Environment.Key(stringLiteral: key)] = value
        }
        var options = PlatformOptions()
        // 0 makes the child the leader of a new group whose id is its pid.
        options.processGroupID = 0
        let limit = command.maxOutputBytes
        // Clocks count in 64-bit nanoseconds; a century is "never" for a step.
        let timeout = Duration.seconds(min(command.timeoutSeconds, 100 * 365 * 24 * 3600))

        let result: ExecutionResult<Supervision, SequenceOutput, SequenceOutput>
        do {
            result = try await run(
                executable, arguments: arguments,
                environment: .inherit.updating(overrides),
                workingDirectory: FilePath(command.workingDirectory), platformOptions: options,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                await supervise(execution, limit: limit, timeout: timeout, clock: clock)
            }
        } catch let error as SubprocessError {
            if Task.isCancelled { throw CancellationError() }
            return .couldNotStart(describe(error, for: command))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
        // Reached only after Subprocess reaped the child, so nothing is left behind.
        if Task.isCancelled { throw CancellationError() }

        let supervision = result.closureResult
        if supervision.timedOut {
            return .timedOut(stdout: supervision.stdout, stderr: supervision.stderr)
        }
        let exitCode: Int =
            switch result.terminationStatus {
            case .exited(let code): Int(code)
            case .signaled(let signal): -Int(signal)
            }
        return .exited(exitCode: exitCode, stdout: supervision.stdout, stderr: supervision.stderr)
    }

    // MARK: - Supervising a running child

    struct Supervision: Sendable {
        var stdout: BashCapturedOutput
        var stderr: BashCapturedOutput
        var timedOut: Bool
    }

    private enum SupervisorEvent: Sendable {
        case stdout(BashCapturedOutput)
        case stderr(BashCapturedOutput)
        case leaderExited
        case timerFired
        case timerStopped
    }

    /// Reads both streams, races them against the timeout, and returns only once the child has
    /// exited (or been killed because the task was cancelled).
    ///
    /// Signalling the group is safe for as long as this runs: Subprocess reaps the child only
    /// after the body returns, so its pid (the group id) cannot be reused meanwhile.
    private static func supervise(
        _ execution: Execution<NoInput, SequenceOutput, SequenceOutput>, limit: Int, timeout: Duration,
        clock: any EngineClock
    ) async -> Supervision {
        let group = BashProcessGroup(leader: execution.processIdentifier.value)
        return await withTaskCancellationHandler {
            await withTaskGroup(of: SupervisorEvent.self) { tasks in
                tasks.addTask { .stdout(await capture(execution.standardOutput, limit: limit)) }
                tasks.addTask { .stderr(await capture(execution.standardError, limit: limit)) }
                tasks.addTask {
                    do {
                        try await clock.sleep(for: timeout)
                        return .timerFired
                    } catch {
                        return .timerStopped
                    }
                }

                var stdout: BashCapturedOutput?
                var stderr: BashCapturedOutput?
                var exited = false
                var waitingForExit = false
                var timedOut = false
                var finished = false
                while let event = await tasks.next() {
                    switch event {
                    case .stdout(let output): stdout = output
                    case .stderr(let output): stderr = output
                    case .leaderExited: exited = true
                    case .timerStopped: break
                    case .timerFired:
                        if !finished {
                            timedOut = true
                            group.kill()
                        }
                    }
                    guard !finished, stdout != nil, stderr != nil else { continue }
                    // Reads end at EOF or when the child exits, but a child can close its output
                    // and run on; the timeout must still cover it.
                    if !exited && !waitingForExit {
                        if group.leaderHasExited() {
                            exited = true
                        } else {
                            waitingForExit = true
                            tasks.addTask {
                                await group.waitForLeaderExit()
                                return .leaderExited
                            }
                        }
                    }
                    if exited {
                        finished = true
                        tasks.cancelAll()
                    }
                }
                return Supervision(stdout: stdout ?? BashCapturedOutput(), stderr: stderr ?? BashCapturedOutput(), timedOut: timedOut)
            }
        } onCancel: {
            group.kill()
        }
    }

    /// Keeps the first `limit` bytes and drains the rest, so a chatty child never blocks on a full pipe.
    private static func capture(_ stream: SubprocessOutputSequence, limit: Int) async -> BashCapturedOutput {
        var output = BashCapturedOutput()
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { output.append($0, limit: limit) }
            }
        } catch {
            output.readFailure = "\(error)"
        }
        return output
    }

    // MARK: - Finding programs

    /// The first executable regular file named `name` in the command's `PATH` (its override, or
    /// else this process's). Relative entries are skipped, as the working directory must not
    /// decide which program runs.
    static func resolve(_ name: String, environment: [String: String?]) -> String? {
        let searchPath: String
        if case .some(.some(let overridden)) = environment["PATH"] {
            searchPath = overridden
        } else if let inherited = getenv("PATH") {
            searchPath = String(cString: inherited)
        } else {
            searchPath = "/usr/bin:/bin"
        }
        for directory in searchPath.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    // MARK: - Spawn failures

    /// A message that says what the user got wrong rather than which call failed.
    static func describe(_ error: SubprocessError, for command: BashCommand) -> String {
        let code = error.underlyingError?.rawValue
        switch error.code {
        case .failedToChangeWorkingDirectory:
            let directory = command.workingDirectory
            switch code {
            case ENOENT: return "working directory '\(directory)' does not exist"
            case ENOTDIR: return "working directory '\(directory)' is not a directory"
            case EACCES: return "working directory '\(directory)' is not accessible: permission denied"
            default: return "cannot use working directory '\(directory)': \(reason(code))"
            }
        case .executableNotFound, .spawnFailed:
            return describeProgramFailure(command, errorCode: code)
        default:
            return "could not run the command: \(error)"
        }
    }

    private static func describeProgramFailure(_ command: BashCommand, errorCode: CInt?) -> String {
        switch command.program {
        case .name(let name):
            // The name was found on PATH before the spawn, so the file itself would not run.
            if errorCode == ENOEXEC {
                return "program '\(name)' is not in a format the system can run"
            }
            return "could not start program '\(name)': \(reason(errorCode))"
        case .path(let path):
            let resolved = path.hasPrefix("/") ? path : command.workingDirectory + "/" + path
            var info = stat()
            guard stat(resolved, &info) == 0 else {
                return "program '\(path)' does not exist"
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                return "program '\(path)' is a directory"
            }
            if access(resolved, X_OK) != 0 {
                return "program '\(path)' is not executable"
            }
            if errorCode == ENOEXEC {
                return "program '\(path)' is not in a format the system can run"
            }
            return "could not start program '\(path)': \(reason(errorCode))"
        }
    }

    private static func reason(_ code: CInt?) -> String {
        guard let code else { return "unknown error" }
        return String(cString: strerror(code))
    }
}

/// The process group a command runs in; its id is the leader's (the spawned child's) pid.
struct BashProcessGroup: Sendable {
    let leader: pid_t

    /// Kills every process in the group; a group that is already gone is no error.
    func kill() {
        _ = killpg(leader, SIGKILL)
    }

    /// Whether the leader has exited, without reaping it (Subprocess does that).
    func leaderHasExited() -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(leader), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else {
            // ECHILD: it is no longer ours to wait for, so it has certainly exited.
            return errno == ECHILD
        }
        return info.si_signo == SIGCHLD
    }

    /// Waits for the leader to exit, or for the task to be cancelled.
    ///
    /// Only used when a child closed its output but keeps running, which is rare; Subprocess
    /// offers no public way to await exit, so this polls with a growing pause.
    func waitForLeaderExit() async {
        var pause = Duration.milliseconds(1)
        while !leaderHasExited() {
            do {
                try await Task.sleep(for: pause)
            } catch {
                return
            }
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}
