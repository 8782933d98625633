import Foundation
import Testing
import WorkFlowEngine

@testable import WorkFlowModules

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("common.Bash")
struct BashTests {
    let module = BashModule()

    private func run(_ params: JSONObject, context: StepContext = .standalone()) async throws -> ModuleOutput {
        try await module.call("run", params: params, context: context)
    }

    private func expected(_ exitCode: Int, _ stdout: String, _ stderr: String) -> JSONValue {
        ["status": .bool(exitCode == 0), "exit_code": .int(exitCode), "stdout": .string(stdout), "stderr": .string(stderr)]
    }

    // MARK: Results

    @Test("a command's stdout and stderr come back with exit code 0 and status true")
    func echoesBothStreams() async throws {
        let output = try await run(["cmd": "echo out; echo err >&2"])
        #expect(output == .success(expected(0, "out\n", "err\n")))
    }

    @Test("result keys come in the seed's order: status, exit_code, stdout, stderr")
    func resultKeyOrder() async throws {
        let output = try await run(["cmd": "true"])
        #expect(output.result.objectValue.map { Array($0.keys) } == ["status", "exit_code", "stdout", "stderr"])
    }

    @Test("a non-zero exit is a failure whose error quotes stderr")
    func nonZeroExitQuotesStderr() async throws {
        let output = try await run(["cmd": "echo partial; echo '  boom: disk full  ' >&2; exit 2"])
        #expect(output == .failure(expected(2, "partial\n", "  boom: disk full  \n"), error: "command exited with code 2: boom: disk full"))
    }

    @Test("the error quotes at most the first 200 characters of stderr")
    func errorQuotesAtMost200Characters() async throws {
        let output = try await run(["cmd": "printf '%0300d' 0 >&2; exit 1"])
        #expect(output.error == "command exited with code 1: " + String(repeating: "0", count: 200))
    }

    @Test("`exit 3` reports exit code 3, and the error says only the code when stderr is empty")
    func exitStatus() async throws {
        let output = try await run(["cmd": "exit 3"])
        #expect(output == .failure(expected(3, "", ""), error: "command exited with code 3"))
    }

    @Test("a process killed by a signal reports minus the signal number")
    func killedBySignal() async throws {
        let output = try await run(["cmd": "kill -9 $$"])
        #expect(output == .failure(expected(-9, "", ""), error: "command exited with code -9"))
    }

    @Test("output is decoded as UTF-8 with invalid bytes replaced")
    func invalidUTF8IsReplaced() async throws {
        let output = try await run(["cmd": #"printf 'a\377b caf\303\251'"#])
        #expect(output == .success(expected(0, "a\u{FFFD}b café", "")))
    }

    @Test("stdin is /dev/null, so a command reading it sees end of input at once")
    func stdinIsDevNull() async throws {
        let output = try await run(["cmd": "cat; echo done"])
        #expect(output == .success(expected(0, "done\n", "")))
    }

    // MARK: Command forms

    @Test("an array cmd runs the program directly and never splits an argument with spaces")
    func argvForm() async throws {
        let output = try await run(["cmd": ["printf", "%s|", "a b", "$HOME", 7, 2.5]])
        #expect(output == .success(expected(0, "a b|$HOME|7|2.5|", "")))
    }

    @Test("an array cmd with a path runs that file")
    func argvWithPath() async throws {
        let output = try await run(["cmd": ["/bin/echo", "hi"]])
        #expect(output == .success(expected(0, "hi\n", "")))
    }

    @Test("shell false splits a string cmd with shell quoting and expands nothing")
    func shellFalseSplitsWords() async throws {
        let output = try await run(["cmd": #"printf '%s|' "a b" 'c  d' e\ f "q\"uote" $HOME ''"#, "shell": false])
        #expect(output == .success(expected(0, #"a b|c  d|e f|q"uote|$HOME||"#, "")))
    }

    @Test("shell false with an unterminated quote is a parameter error")
    func shellFalseUnterminatedQuote() async throws {
        let error = await #expect(throws: ParameterError.self) {
            try await run(["cmd": "echo 'oops", "shell": false])
        }
        #expect(error == ParameterError(path: "cmd", message: "has an unterminated single quote"))
    }

    @Test("the word splitter follows POSIX quoting")
    func wordSplitter() throws {
        #expect(try BashWordSplitter.split("  ls   -l\t/tmp \n") == ["ls", "-l", "/tmp"])
        #expect(try BashWordSplitter.split(#"a"b c"'d e'f"#) == ["ab cd ef"])
        #expect(try BashWordSplitter.split(#""\a \$ \\""#) == [#"\a $ \"#])
        #expect(try BashWordSplitter.split("one\\\ntwo") == ["onetwo"])
        #expect(try BashWordSplitter.split(#"'' """#) == ["", ""])
        #expect(try BashWordSplitter.split("") == [])
        #expect(throws: BashWordSplitter.SplitError.unterminatedDoubleQuote) { try BashWordSplitter.split(#"say "hi"#) }
        #expect(throws: BashWordSplitter.SplitError.trailingBackslash) { try BashWordSplitter.split(#"end\"#) }
    }

    // MARK: Working directory and environment

    @Test("the working directory defaults to /")
    func defaultWorkingDirectory() async throws {
        let output = try await run(["cmd": "pwd"])
        #expect(output == .success(expected(0, "/\n", "")))
    }

    @Test("an explicit cwd is where the command runs")
    func explicitWorkingDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let output = try await run(["cmd": "pwd -P", "cwd": .string(directory.path)])
        #expect(output == .success(expected(0, directory.resolvedPath + "\n", "")))
    }

    @Test("env is merged over the process environment: new variables appear and PATH stays")
    func environmentIsMerged() async throws {
        let output = try await run([
            "cmd": #"echo "$WF_BASH_TEST $WF_BASH_NUMBER $WF_BASH_FLAG"; [ -n "$PATH" ] && echo path-kept"#,
            "env": ["WF_BASH_TEST": "hello world", "WF_BASH_NUMBER": 42, "WF_BASH_FLAG": true],
        ])
        #expect(output == .success(expected(0, "hello world 42 true\npath-kept\n", "")))
    }

    @Test("env null removes an inherited variable")
    func environmentNullRemovesVariable() async throws {
        let output = try await run(["cmd": #"echo "[${HOME-unset}]""#, "env": ["HOME": nil]])
        #expect(output == .success(expected(0, "[unset]\n", "")))
    }

    @Test("an array cmd finds its program through the PATH given in env")
    func argvUsesMergedPath() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = directory.path + "/wf-bash-hello"
        try "#!/bin/sh\necho hello from PATH\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let output = try await run(["cmd": ["wf-bash-hello"], "env": ["PATH": .string(directory.path + ":/usr/bin:/bin")]])
        #expect(output == .success(expected(0, "hello from PATH\n", "")))
    }

    @Test("a program found through PATH gets its bare name as argv[0]")
    func argvZeroIsTheName() async throws {
        let output = try await run(["cmd": ["sh", "-c", "echo $0"]])
        #expect(output == .success(expected(0, "sh\n", "")))
    }

    @Test("a file on PATH that is not executable is skipped, not run")
    func nonExecutableOnPathIsSkipped() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "echo hi\n".write(toFile: directory.path + "/wf-bash-plain", atomically: true, encoding: .utf8)
        let message = "program 'wf-bash-plain' not found in PATH"
        let output = try await run(["cmd": ["wf-bash-plain"], "env": ["PATH": .string(directory.path)]])
        #expect(output == .failure(expected(-1, "", message), error: message))
    }

    // MARK: Parameters

    @Test("a missing cmd throws a parameter error naming cmd")
    func missingCommand() async throws {
        let error = await #expect(throws: ParameterError.self) { try await run([:]) }
        #expect(error == ParameterError(path: "cmd", message: "is required"))
    }

    @Test("cmd of another type, or an array item that is not a string or number, is a parameter error")
    func badCommandTypes() async throws {
        let wrongType = await #expect(throws: ParameterError.self) { try await run(["cmd": 5]) }
        #expect(wrongType == ParameterError(path: "cmd", message: "expected a string or an array, got number 5"))
        let wrongItem = await #expect(throws: ParameterError.self) { try await run(["cmd": ["echo", ["x"]]]) }
        #expect(wrongItem?.path == "cmd[1]")
        let empty = await #expect(throws: ParameterError.self) { try await run(["cmd": []]) }
        #expect(empty == ParameterError(path: "cmd", message: "has no program to run"))
    }

    @Test("a timeout that is not a whole number throws; a numeric string is accepted like Python int()")
    func timeoutParsing() async throws {
        let error = await #expect(throws: ParameterError.self) { try await run(["cmd": "true", "timeout": "ten"]) }
        #expect(error == ParameterError(path: "timeout", message: #"expected an integer, got string "ten""#))
        await #expect(throws: ParameterError.self) { try await run(["cmd": "true", "timeout": ["x"]]) }
        let zero = await #expect(throws: ParameterError.self) { try await run(["cmd": "true", "timeout": 0]) }
        #expect(zero?.path == "timeout")
        let output = try await run(["cmd": "echo ok", "timeout": " 5 "])
        #expect(output == .success(expected(0, "ok\n", "")))
    }

    @Test("a huge timeout works as no practical limit")
    func hugeTimeout() async throws {
        let output = try await run(["cmd": "echo ok", "timeout": .int(Int.max)])
        #expect(output == .success(expected(0, "ok\n", "")))
    }

    @Test("env values that are arrays or objects are parameter errors")
    func badEnvironmentValue() async throws {
        let error = await #expect(throws: ParameterError.self) { try await run(["cmd": "true", "env": ["A": [1]]]) }
        #expect(error?.path == "env.A")
    }

    @Test("the descriptor documents every parameter with its type and default")
    func descriptorListsParameters() throws {
        let descriptor = module.descriptor
        #expect(descriptor.name == "common.Bash")
        let run = try #require(descriptor.method(named: "run"))
        #expect(run.parameters.map(\.name) == ["cmd", "cwd", "env", "timeout", "shell", "max_output"])
        #expect(run.parameters.map(\.typeDescription) == ["string or array", "string", "object", "integer", "boolean", "integer"])
        #expect(run.parameters.map(\.defaultValue) == [nil, "/", nil, 60, true, 10_485_760])
        #expect(run.parameters.map(\.required) == [true, false, false, false, false, false])
        #expect(run.parameters.allSatisfy { !$0.doc.isEmpty })
        #expect(run.result == #"{"status": true, "exit_code": 0, "stdout": "...", "stderr": "..."}"#)
    }

    // MARK: Spawn failures

    @Test("a working directory that does not exist fails with the seed's shape and a clear message")
    func missingWorkingDirectory() async throws {
        let message = "working directory '/nope/wf-bash' does not exist"
        let output = try await run(["cmd": "true", "cwd": "/nope/wf-bash"])
        #expect(output == .failure(expected(-1, "", message), error: message))
    }

    @Test("a working directory that is a file fails with a clear message")
    func workingDirectoryIsAFile() async throws {
        let message = "working directory '/etc/hostname' is not a directory"
        let output = try await run(["cmd": "true", "cwd": "/etc/hostname"])
        #expect(output == .failure(expected(-1, "", message), error: message))
    }

    @Test("a program missing from PATH fails with the seed's shape and a clear message")
    func programNotFound() async throws {
        let message = "program 'wf-no-such-program' not found in PATH"
        let output = try await run(["cmd": ["wf-no-such-program", "x"]])
        #expect(output == .failure(expected(-1, "", message), error: message))
        let split = try await run(["cmd": "wf-no-such-program x", "shell": false])
        #expect(split == output)
    }

    @Test("a program path that is missing, a directory, or not executable says which")
    func programPathProblems() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "echo hi\n".write(toFile: directory.path + "/plain.txt", atomically: true, encoding: .utf8)
        let cases: [(JSONValue, String)] = [
            (["/nope/wf-bash"], "program '/nope/wf-bash' does not exist"),
            (["/tmp/"], "program '/tmp/' is a directory"),
            (["./plain.txt"], "program './plain.txt' is not executable"),
        ]
        for (cmd, message) in cases {
            let output = try await run(["cmd": cmd, "cwd": .string(directory.path)])
            #expect(output == .failure(expected(-1, "", message), error: message))
        }
    }

    // MARK: Output cap

    @Test("output past max_output is dropped and counted, per stream")
    func outputIsTruncated() async throws {
        let context = StepContext.standalone()
        let output = try await run(["cmd": "printf abcdefghij; printf 0123 >&2", "max_output": 4], context: context)
        #expect(output == .success(expected(0, "abcd\n[output truncated: 6 more bytes]", "0123")))
        let warnings = context.logger.lines.filter { $0.level == .warning }.map(\.message)
        #expect(warnings == ["stdout truncated: kept the first 4 bytes, dropped 6 more (raise max_output to keep more)"])
    }

    @Test("a child writing far more than max_output is drained, not blocked")
    func largeOutputIsDrained() async throws {
        let output = try await run(["cmd": "head -c 3000000 /dev/zero | tr '\\0' a; echo end >&2", "max_output": 10])
        #expect(output == .success(expected(0, "aaaaaaaaaa\n[output truncated: 2999990 more bytes]", "end\n")))
    }

    @Test("the cap never splits a UTF-8 character")
    func truncationKeepsWholeCharacters() async throws {
        let output = try await run(["cmd": #"printf 'a\303\251z'"#, "max_output": 2])
        #expect(output == .success(expected(0, "a\n[output truncated: 3 more bytes]", "")))
        #expect(BashCapturedOutput.completeUTF8Prefix(Array("aé".utf8)) == 3)
        #expect(BashCapturedOutput.completeUTF8Prefix([0x61, 0xF0, 0x9F, 0x98]) == 1)
    }

    // MARK: Logging

    @Test("the command is logged at debug, cut to 200 characters, and a failure at error")
    func logging() async throws {
        let context = StepContext.standalone()
        let command = "echo nope >&2; exit 1 #" + String(repeating: "x", count: 300)
        _ = try await run(["cmd": .string(command)], context: context)
        let lines = context.logger.lines.map { "\($0.level): \($0.message)" }
        #expect(lines == ["debug: running: " + String(command.prefix(200)), "error: command exited with code 1: nope"])
    }

    // MARK: Timeout and cancellation

    /// Starts two background sleeps and a waiting shell, writing every pid to `pidFile`.
    private static func familyCommand(pidFile: String) -> JSONValue {
        .string("sleep 30 & echo $! >> '\(pidFile)'; sleep 30 & echo $! >> '\(pidFile)'; echo $$ >> '\(pidFile)'; wait")
    }

    @Test("past the default 60-second timeout the whole process group is killed and the seed's timeout shape returned")
    func timeoutKillsProcessGroup() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.path + "/pids"
        let clock = ManualClock()
        let context = StepContext.standalone(clock: clock)
        let module = module
        let task = Task { try await module.call("run", params: ["cmd": Self.familyCommand(pidFile: pidFile)], context: context) }

        await clock.waitForSleepers()
        let pids = try await readPids(from: pidFile, count: 3)
        clock.advance(by: .seconds(61))
        let output = try await task.value

        #expect(output == .failure(expected(-1, "", "Timeout after 60 seconds"), error: "command timed out after 60 seconds"))
        #expect(clock.sleeps == [.seconds(60)])
        #expect(await survivors(of: pids) == [])
    }

    @Test("an explicit timeout is honoured, and the partial output is logged at debug")
    func explicitTimeout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.path + "/pids"
        let clock = ManualClock()
        let context = StepContext.standalone(clock: clock)
        let module = module
        let task = Task {
            try await module.call(
                "run", params: ["cmd": .string("echo started; echo $$ > '\(pidFile)'; sleep 30"), "timeout": "5"], context: context)
        }
        await clock.waitForSleepers()
        _ = try await readPids(from: pidFile, count: 1)
        clock.advance(by: .seconds(5))
        let output = try await task.value

        #expect(output == .failure(expected(-1, "", "Timeout after 5 seconds"), error: "command timed out after 5 seconds"))
        #expect(clock.sleeps == [.seconds(5)])
        let lines = context.logger.lines.map { "\($0.level): \($0.message)" }
        #expect(lines.dropFirst() == ["error: command timed out after 5 seconds", "debug: partial stdout before the timeout:\nstarted\n"])
    }

    @Test("the timeout still applies to a child that closed its output but keeps running")
    func timeoutCoversChildWithClosedOutput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.path + "/pids"
        let clock = ManualClock()
        let context = StepContext.standalone(clock: clock)
        let module = module
        let task = Task {
            try await module.call(
                "run", params: ["cmd": .string("exec >/dev/null 2>&1; echo $$ > '\(pidFile)'; sleep 30")], context: context)
        }
        await clock.waitForSleepers()
        let pids = try await readPids(from: pidFile, count: 1)
        clock.advance(by: .seconds(60))
        let output = try await task.value
        #expect(output.error == "command timed out after 60 seconds")
        #expect(await survivors(of: pids) == [])
    }

    @Test("cancelling the task kills the whole process group, reaps it, and throws CancellationError")
    func cancellationKillsProcessGroup() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.path + "/pids"
        let clock = ManualClock()
        let context = StepContext.standalone(clock: clock)
        let module = module
        let task = Task { try await module.call("run", params: ["cmd": Self.familyCommand(pidFile: pidFile)], context: context) }

        let pids = try await readPids(from: pidFile, count: 3)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await survivors(of: pids) == [])
    }

    @Test("a task cancelled before the call starts nothing and throws CancellationError")
    func cancelledBeforeStart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.path + "/ran"
        let module = module
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await module.call("run", params: ["cmd": .string("touch '\(marker)'")], context: .standalone())
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a command that finishes cancels its timeout timer")
    func finishingStopsTheTimer() async throws {
        let clock = ManualClock()
        let output = try await run(["cmd": "echo fast"], context: .standalone(clock: clock))
        #expect(output == .success(expected(0, "fast\n", "")))
        #expect(clock.sleeperCount == 0)
    }
}

// MARK: - Helpers

/// A fresh directory under the system temporary directory.
private struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("wf-bash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path with symbolic links resolved, as `pwd -P` prints it.
    var resolvedPath: String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Waits (boundedly) until the command has written `count` pids to `file`.
private func readPids(from file: String, count: Int) async throws -> [pid_t] {
    for _ in 0..<1_000 {
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            let pids = text.split(separator: "\n").compactMap { pid_t($0) }
            if pids.count >= count { return pids }
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("the command did not write \(count) pids to \(file)")
    return []
}

/// The pids still running after the kernel had a bounded time to deliver the kill.
private func survivors(of pids: [pid_t]) async -> [pid_t] {
    var alive = pids
    for _ in 0..<200 {
        alive = alive.filter(isRunning)
        if alive.isEmpty { return [] }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return alive
}

/// Whether `pid` is still around for us to worry about: alive, or a zombie that this process
/// failed to reap. An orphan's zombie has died and only awaits its new parent (init).
private func isRunning(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let nameEnd = stat.lastIndex(of: ")")
    else { return true }
    // After the name: state, then the parent's pid.
    let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
    guard fields.count > 1 else { return true }
    return fields[0] != "Z" || pid_t(fields[1]) == getpid()
}
